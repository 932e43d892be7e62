import type { Database } from '../db/database.ts';

/**
 * Keeps the full-text index behind the write path. Ingest never touches it: this indexer
 * follows each organization's chain (seq is gapless) past the index's high-water seq, and
 * searches scan the few entries above that mark themselves.
 */
export function createSearchIndexer(database: Database, options: { batchSize: number }) {
  const { db, adapter, search } = database;

  /** Indexes up to one batch per organization that is behind; returns how many events it added. */
  async function step(): Promise<number> {
    let added = 0;
    const heads = await db.selectFrom('chain_heads').select(['org_id', 'last_seq']).execute();
    for (const head of heads) {
      const from = search.indexedSeq(head.org_id);
      if (head.last_seq <= from) continue;
      const docs = await db
        .selectFrom('events')
        .select(['pk', 'seq', adapter.searchDocument().as('doc')])
        .where('org_id', '=', head.org_id)
        .where('seq', '>', from)
        .orderBy('seq')
        .limit(options.batchSize)
        .execute();
      if (docs.length === 0) continue;
      search.add(head.org_id, docs);
      added += docs.length;
    }
    return added;
  }

  /** Indexes until every organization is caught up (tests, benchmarks, CLI). */
  async function catchUp(): Promise<void> {
    while ((await step()) > 0);
  }

  return { step, catchUp };
}

export type SearchIndexer = ReturnType<typeof createSearchIndexer>;

import type { Database } from '../db/database.ts';

const STATE_KEY = 'events_fts';

/**
 * Keeps the full-text index behind the write path: ingest never touches it; this indexer
 * adds committed events in batches, and searches cover the not-yet-indexed tail by scanning.
 */
export function createSearchIndexer(database: Database, options: { batchSize: number }) {
  const { db, adapter } = database;
  let watermark: number | undefined;

  /** Highest pk already in the index. */
  async function indexedUpTo(): Promise<number> {
    if (watermark !== undefined) return watermark;
    const row = await db.selectFrom('search_state').select('indexed_pk').where('name', '=', STATE_KEY).executeTakeFirst();
    watermark = row?.indexed_pk ?? 0;
    return watermark;
  }

  /** Indexes one batch; returns how far the index advanced in pk (0 when up to date). */
  async function step(): Promise<number> {
    const from = await indexedUpTo();
    const to = await db.transaction().execute(async (trx) => {
      const upTo = await adapter.indexSearchBatch(trx, from, options.batchSize);
      if (upTo === from) return from;
      await trx
        .insertInto('search_state')
        .values({ name: STATE_KEY, indexed_pk: upTo })
        .onConflict((oc) => oc.column('name').doUpdateSet({ indexed_pk: upTo }))
        .execute();
      return upTo;
    });
    watermark = to;
    return to - from;
  }

  /** Indexes until nothing is left (tests, benchmarks, CLI). */
  async function catchUp(): Promise<void> {
    while ((await step()) > 0);
  }

  return { indexedUpTo, step, catchUp };
}

export type SearchIndexer = ReturnType<typeof createSearchIndexer>;

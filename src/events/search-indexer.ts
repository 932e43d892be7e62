import type { Database } from '../db/database.ts';
import { FILTER_COLUMNS, searchText } from '../query/event-filter.ts';
import { rowToEntry, type EventRow } from './entry-mapping.ts';
import type { FilterFields } from '../db/search-index.ts';
import type { TaskLeases } from '../work/work-engine.ts';
import { whileLeased } from '../work/work.repo.ts';

/**
 * Keeps the full-text index behind the write path. Ingest never touches it: this indexer
 * follows each organization's chain (seq is gapless) past the index's high-water seq, and
 * searches scan the few entries above that mark themselves.
 */
export function createSearchIndexer(database: Database, options: { batchSize: number }) {
  const { db, search } = database;

  /**
   * Indexes up to one batch per organization that is behind; returns how many events it added.
   * With `leases`, only the organizations this server holds, each batch fenced by its lease.
   */
  async function step(leases?: TaskLeases): Promise<number> {
    let added = 0;
    const all = await db.selectFrom('chain_heads').select(['org_id', 'last_seq']).execute();
    const held = leases ? new Map((await leases.claim(all.map((h) => h.org_id))).map((l) => [l.orgId, l])) : undefined;
    const heads = held ? all.filter((head) => held.has(head.org_id)) : all;
    for (const head of heads) {
      const from = await search.indexedSeq(head.org_id);
      if (head.last_seq <= from) continue;
      const rows = await db
        .selectFrom('events')
        .selectAll()
        .where('org_id', '=', head.org_id)
        .where('seq', '>', from)
        .orderBy('seq')
        .limit(options.batchSize)
        .execute();
      if (rows.length === 0) continue;
      // The document is the entry's searchText: the one definition of what `q` matches.
      const docs = rows.map((row) => ({ pk: row.pk, seq: row.seq, doc: searchText(rowToEntry(row)), fields: filterFields(row) }));
      const lease = held?.get(head.org_id);
      if (await whileLeased(() => search.add(head.org_id, docs, lease && ((tx) => leases!.fence(tx, lease))))) added += docs.length;
    }
    return added;
  }

  /** Indexes until every organization is caught up (tests, benchmarks, CLI). */
  async function catchUp(): Promise<void> {
    while ((await step()) > 0);
  }

  return { step, catchUp };
}

/** The row's filter columns, as a FilterIndex keeps them. */
export function filterFields(row: EventRow): FilterFields {
  return Object.fromEntries(FILTER_COLUMNS.map((column) => [column, row[column]])) as FilterFields;
}

export type SearchIndexer = ReturnType<typeof createSearchIndexer>;

import type { Database } from '../db/database.ts';

/**
 * Keeps the full-text index behind the write path: ingest only queues each new event's pk
 * (in the same transaction); this indexer moves queued events into the index in batches,
 * and searches cover the still-queued ones by scanning them.
 */
export function createSearchIndexer(database: Database, options: { batchSize: number }) {
  const { db, adapter } = database;

  /** Indexes one batch; returns how many events it added (0 when up to date). */
  async function step(): Promise<number> {
    return db.transaction().execute((trx) => adapter.indexQueued(trx, options.batchSize));
  }

  /** Indexes until nothing is queued (tests, benchmarks, CLI). */
  async function catchUp(): Promise<void> {
    while ((await step()) > 0);
  }

  return { step, catchUp };
}

export type SearchIndexer = ReturnType<typeof createSearchIndexer>;

import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../db/database.ts';
import { createWakeLoop } from '../jobs/wake-loop.ts';
import { startSearchIndexThread } from './search-index-thread.ts';
import type { SearchIndexer } from './search-indexer.ts';

export interface SearchIndexingOptions {
  dataDir: string;
  sync: 'full' | 'normal';
  batchSize: number;
  intervalMs: number;
}

/**
 * Keeps the full-text index following the chains, where the engine wants it: in a worker thread
 * with its own connection (SQLite: its CPU and its writes to search.db never hold up requests), or
 * as a loop in this process (PostgreSQL: the server does the indexing work).
 */
export function startSearchIndexing(
  database: Database,
  indexer: SearchIndexer,
  options: SearchIndexingOptions,
  logger: FastifyBaseLogger,
): { stop(): Promise<void> } {
  if (database.adapter.indexInWorkerThread) return startSearchIndexThread(options, logger);
  const loop = createWakeLoop(
    async () => ((await indexer.step()) > 0 ? 0 : options.intervalMs),
    (error) => {
      logger.error({ err: error, task: 'search-index' }, 'background task failed');
      return options.intervalMs;
    },
  );
  loop.start();
  return loop;
}

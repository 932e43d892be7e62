import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../db/database.ts';
import { createWakeLoop, FOLLOWER_GAP_MS } from '../jobs/wake-loop.ts';
import { startSearchIndexThread } from './search-index-thread.ts';
import type { SearchIndexer } from './search-indexer.ts';
import type { TaskLeases } from '../work/work-engine.ts';

export interface SearchIndexingOptions {
  dataDir: string;
  sync: 'full' | 'normal';
  batchSize: number;
  intervalMs: number;
  /** Which organizations this server indexes, where several servers may index (not in the SQLite thread: one server). */
  leases: TaskLeases;
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
): { stop(): Promise<void>; wake(): void } {
  // The thread follows the one server's appends itself.
  const { leases, ...threadOptions } = options;
  if (database.adapter.indexInWorkerThread) return { ...startSearchIndexThread(threadOptions, logger), wake: () => {} };
  // Entries appended on another server arrive by notification; the interval is the fallback.
  const loop = createWakeLoop(
    async () => ((await indexer.step(leases)) > 0 ? 0 : options.intervalMs),
    (error) => {
      logger.error({ err: error, task: 'search-index' }, 'background task failed');
      return options.intervalMs;
    },
    { minGapMs: FOLLOWER_GAP_MS },
  );
  loop.start();
  return loop;
}

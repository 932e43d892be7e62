import type { FastifyBaseLogger } from 'fastify';
import { createWakeLoop } from '../jobs/wake-loop.ts';
import type { Database } from './database.ts';

const DAY_MS = 86_400_000;

/**
 * Keeps the events table ready for the coming month: once a day (and at start) the adapter
 * creates what is missing (monthly partitions on PostgreSQL; nothing on SQLite). Idempotent, and
 * safe with several servers (the adapter serializes creation).
 */
export function startPartitionUpkeep(database: Database, logger: FastifyBaseLogger) {
  const loop = createWakeLoop(
    async () => {
      await database.adapter.preparePartitions(database.db, Date.now());
      return DAY_MS;
    },
    (error) => {
      logger.error({ err: error, task: 'partitions' }, 'background task failed');
      return 60 * 60_000;
    },
  );
  loop.start();
  return loop;
}

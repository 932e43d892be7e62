import type { ScheduledTask } from '../work/schedules.ts';
import type { Database } from './database.ts';

const DAY_MS = 86_400_000;

/**
 * Keeps the events table ready for the coming month: daily, the adapter creates what is missing
 * (monthly partitions on PostgreSQL; nothing on SQLite). Idempotent, and safe with several
 * servers (the adapter serializes creation).
 */
export function partitionTask(database: Database): ScheduledTask {
  return {
    name: 'partitions',
    intervalMs: DAY_MS,
    run: () => database.adapter.preparePartitions(database.db, Date.now()),
  };
}

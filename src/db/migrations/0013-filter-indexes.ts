import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../dialect.ts';

/** The events table's indexes of the structured conditions (0001), one per filter. */
const FILTER_INDEXES = [
  'events_type', 'events_category', 'events_actor_id', 'events_actor_email',
  'events_result', 'events_target', 'events_project', 'events_ip',
];

/**
 * Where the engine keeps the structured conditions' indexes off the write path, in its filter
 * index (DialectAdapter.filterIndexesOnEvents), the events table stops maintaining them: the
 * indexer fills the filter index from the chain, and reads check the unindexed tail themselves.
 */
export async function up(db: Kysely<any>, adapter: DialectAdapter): Promise<void> {
  if (adapter.filterIndexesOnEvents) return;
  for (const name of FILTER_INDEXES) await db.schema.dropIndex(name).ifExists().execute();
}

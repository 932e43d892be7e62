import type { EventsTable } from './tables.ts';

/** A column of the events table, in engine-neutral terms; each dialect adapter maps `type` to its own. */
export interface EventColumn {
  name: keyof EventsTable;
  /** `text`; `int` for small numbers; `bigint` for epoch milliseconds and chain positions. */
  type: 'text' | 'int' | 'bigint';
  notNull: boolean;
}

const col = (name: keyof EventsTable, type: EventColumn['type'], notNull = false): EventColumn => ({ name, type, notNull });

/**
 * The events table's columns as migration 0001 creates them, but the key `pk`, which each adapter
 * declares with its own key layout; 0017 adds `hash_version` and `personal`.
 */
export const EVENT_COLUMNS: readonly EventColumn[] = [
  col('org_id', 'text', true),
  col('id', 'text', true),
  col('seq', 'bigint', true),
  col('type', 'text', true),
  col('category', 'text', true),
  col('action', 'text'),
  col('result', 'text', true),
  col('actor_id', 'text', true),
  col('actor_type', 'text', true),
  col('actor_email', 'text'),
  col('actor_name', 'text'),
  col('obo_id', 'text'),
  col('obo_email', 'text'),
  col('project_id', 'text'),
  col('project_name', 'text'),
  col('target_type', 'text'),
  col('target_id', 'text'),
  col('target_name', 'text'),
  col('ip', 'text'),
  col('user_agent', 'text'),
  col('req_method', 'text'),
  col('req_path', 'text'),
  col('req_status', 'int'),
  col('req_body', 'text'),
  col('req_response', 'text'),
  col('metadata', 'text'),
  col('occurred_at', 'bigint', true),
  col('received_at', 'bigint', true),
  col('prev_hash', 'text', true),
  col('hash', 'text', true),
];

import type { Kysely, RawBuilder, SelectQueryBuilder, SqlBool } from 'kysely';
import type { Tables } from './tables.ts';

/**
 * Everything that differs between database engines, declared in one place.
 * Feature modules call these methods and never branch on the engine themselves.
 */
export interface DialectAdapter {
  readonly name: 'sqlite';
  /** Creates the events table keyed by the caller-assigned, time-ordered integer `pk`. */
  createEventsTable(db: Kysely<any>): Promise<void>;
  /** Creates the full-text index over the search document of each event. */
  createSearchIndex(db: Kysely<any>): Promise<void>;
  /** The text searched for an event, as an SQL expression over the `events` row. */
  searchDocument(): RawBuilder<string>;
  /** Moves up to `limit` queued events into the full-text index; returns how many. */
  indexQueued(db: Kysely<Tables>, limit: number): Promise<number>;
  /** Indexed event pks whose document contains every term, newest first, at most `limit`. */
  searchCandidates(db: Kysely<Tables>, terms: string[], limit: number): Promise<number[]>;
  /**
   * A query over `events` driven by the full-text index, for terms matching many rows: ordering
   * and paging on `key` (equal to events.pk) lets the engine walk the index newest first and stop.
   */
  searchDriven(db: Kysely<Tables>, terms: string[]): { query: SelectQueryBuilder<Tables, 'events' | 'events_fts', {}>; key: 'events_fts.rowid' | 'events.pk' };
  /** Shortest term the index can answer; shorter terms are matched by scanning. */
  readonly minTermLength: number;
  /** Removes events from the full-text index (used by the retention purge). */
  unindex(db: Kysely<Tables>, pks: number[]): Promise<void>;
  /** Lets the engine refresh planner statistics; cheap when nothing changed. */
  optimize(db: Kysely<Tables>): Promise<void>;
}

export type { SqlBool };

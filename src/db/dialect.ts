import type { Kysely, RawBuilder, SqlBool } from 'kysely';

/**
 * Everything that differs between database engines, declared in one place.
 * Feature modules call these methods and never branch on the engine themselves.
 */
export interface DialectAdapter {
  readonly name: 'sqlite';
  /** Creates the events table with an integer surrogate key `pk` (insertion order). */
  createEventsTable(db: Kysely<any>): Promise<void>;
  /** Creates the full-text index over the search document of each event. */
  createSearchIndex(db: Kysely<any>): Promise<void>;
  /** The text searched for an event, as an SQL expression over the `events` row. */
  searchDocument(): RawBuilder<string>;
  /** Adds events with `afterPk < pk` (at most `limit`) to the full-text index; returns the highest pk indexed. */
  indexSearchBatch(db: Kysely<any>, afterPk: number, limit: number): Promise<number>;
  /** Newest-first event pks whose document contains every term (each at least `minTermLength` long). */
  searchCandidates(db: Kysely<any>, terms: string[], limit: number): Promise<number[]>;
  /** A condition, correlated with `events.pk`, that the indexed document contains every term. */
  searchMatches(terms: string[]): RawBuilder<SqlBool>;
  /** Shortest term the index can answer; shorter terms are matched by scanning. */
  readonly minTermLength: number;
  /** Removes events from the full-text index (used by the retention purge). */
  unindex(db: Kysely<any>, pks: number[]): Promise<void>;
  /** Lets the engine refresh planner statistics; cheap when nothing changed. */
  optimize(db: Kysely<any>): Promise<void>;
}

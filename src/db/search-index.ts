import type { Executor } from './unit-of-work.ts';

/** One entry as the indexer hands it over: its key, its place in its organization's chain, its text. */
export interface SearchDoc {
  pk: number;
  seq: number;
  /** The entry's searchText (src/query/event-filter.ts): already case-folded. */
  doc: string;
}

/**
 * The full-text index, one implementation per engine (SQLite FTS5, PostgreSQL pg_trgm). It is
 * derived data, written only by the indexer, which follows each organization's chain; searches
 * check the entries past `indexedSeq` themselves.
 */
export interface SearchIndex {
  /** Shortest term the index can answer; shorter terms are matched by checking rows directly. */
  readonly minTermLength: number;
  /** Highest seq of the organization already in the index (0 when none). */
  indexedSeq(orgId: string): Promise<number>;
  /** Up to `limit` indexed pks of the organization below `beforePk` whose text holds every term, newest first. */
  candidates(orgId: string, terms: string[], limit: number, beforePk?: number): Promise<number[]>;
  /**
   * Adds one organization's next entries and its new high-water seq, in one transaction, which
   * `fence` (where the index lives in the shared database) may refuse by throwing.
   */
  add(orgId: string, docs: SearchDoc[], fence?: (tx: Executor) => Promise<void>): Promise<void>;
  /** Removes entries from the index (the retention purge). */
  remove(orgId: string, pks: number[]): Promise<void>;
  close(): Promise<void>;
}

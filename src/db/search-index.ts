import type { Executor } from './unit-of-work.ts';
import type { ActorColumn, EventFilter, FILTER_COLUMNS } from '../query/event-filter.ts';
import type { EventRow } from '../events/entry-mapping.ts';
import type { CountCell, CountedEntry, CountQuery } from './event-counts.ts';

/** The columns of one entry that the structured conditions of a filter read. */
export type FilterFields = Pick<EventRow, (typeof FILTER_COLUMNS)[number]>;

/** One entry as the indexer hands it over: its key, its place in its organization's chain, its text. */
export interface SearchDoc {
  pk: number;
  seq: number;
  /** The entry's searchText (src/query/event-filter.ts): already case-folded. */
  doc: string;
  /** Its filter columns, for an index that keeps the structured conditions' indexes (FilterIndex). */
  fields: FilterFields;
}

/**
 * The indexes of the structured conditions (type, actor, target, ...), where an engine keeps them
 * off the write path, beside the full-text index and filled by the same indexer up to the same
 * `indexedSeq`. Answers with the filter's one meaning (applyFilter over the same columns).
 */
export interface FilterIndex {
  /** Up to `limit` indexed pks of the organization below `beforePk` passing the filter (not `q`), newest first. */
  candidates(
    orgId: string,
    filter: EventFilter,
    actorColumn: ActorColumn,
    limit: number,
    beforePk?: number,
  ): Promise<number[]>;
  /** The distinct event types of the indexed entries, each with the category of its newest entry. */
  types(orgId: string): Promise<Array<{ type: string; category: string }>>;
  /** Up to `limit` distinct actor emails of the indexed entries starting with `prefix`, in order. */
  actorEmails(orgId: string, prefix: string, limit: number): Promise<string[]>;
}

/**
 * The full-text index, one implementation per engine (SQLite FTS5, PostgreSQL pg_trgm). It is
 * derived data, written only by the indexer, which follows each organization's chain; searches
 * check the entries past `indexedSeq` themselves.
 */
export interface SearchIndex {
  /** Shortest term the index can answer; shorter terms are matched by checking rows directly. */
  readonly minTermLength: number;
  /**
   * The structured conditions' indexes, where this engine keeps them here rather than on the
   * events table (see DialectAdapter.filterIndexesOnEvents): SQLite, whose write path they slowed.
   */
  readonly filters?: FilterIndex;
  /** Highest seq of the organization already in the index (0 when none). */
  indexedSeq(orgId: string): Promise<number>;
  /** Up to `limit` indexed pks of the organization below `beforePk` whose text holds every term, newest first. */
  candidates(orgId: string, terms: string[], limit: number, beforePk?: number): Promise<number[]>;
  /**
   * How many indexed entries of the organization in the key range hold every term, leaving out the
   * keys in `except`, counting no further than `limit`: what a capped count reads, counted by the
   * engine, with no ordering of the matches and no key sent back.
   */
  countMatching(orgId: string, terms: string[], limit: number, range: KeyRange, except: number[]): Promise<number>;
  /**
   * The time and result of up to `limit` indexed entries of the organization in the key range that
   * hold every term and occurred in [`window.from`, `window.to`), leaving out the keys in `except`,
   * in no set order: what the activity chart of a search counts, read by the engine in one go.
   */
  matchingTimes(orgId: string, terms: string[], limit: number, range: KeyRange, window: TimeWindow, except: number[]): Promise<TimedResult[]>;
  /**
   * Adds one organization's next entries and its new high-water seq, in one transaction, which
   * `fence` (where the index lives in the shared database) may refuse by throwing.
   */
  add(orgId: string, docs: SearchDoc[], fence?: (tx: Executor) => Promise<void>): Promise<void>;
  /**
   * Removes entries from the index and from its counts (the retention purge); those that were
   * never indexed are not counted off.
   */
  remove(orgId: string, removed: RemovedEntry[]): Promise<void>;
  /**
   * Replaces the documents and filter columns of entries already indexed (an erasure rewrote
   * them), removing what they held from the index; entries not indexed yet are left to the indexer.
   * Counts are unchanged: an erasure changes no type, category or result.
   */
  replace(orgId: string, docs: SearchDoc[]): Promise<void>;
  /** Removes from the index's files what replaced and removed documents left behind (a write-ahead log). */
  scrub(): Promise<void>;
  /** The indexed entries' counts per unit and result (event-counts.ts), for a filter `countable` accepts. */
  counts(orgId: string, query: CountQuery): Promise<CountCell[]>;
  close(): Promise<void>;
}

/** A span of time in epoch ms: from `from` (inclusive) to `to` (exclusive). */
export interface TimeWindow {
  from: number;
  to: number;
}

/** When an entry occurred (epoch ms) and its result. */
export interface TimedResult {
  at: number;
  result: string;
}

/** A range of keys: from `fromPk` (inclusive) to `beforePk` (exclusive). */
export interface KeyRange {
  fromPk: number;
  beforePk: number;
}

/** An entry leaving the index, with what its counts were kept by. */
export type RemovedEntry = { pk: number } & CountedEntry;

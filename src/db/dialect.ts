import type { Kysely, SelectQueryBuilder } from 'kysely';

/** A select that can take a row lock (Kysely's builder on every engine; only some engines honour it). */
export type Lockable = SelectQueryBuilder<any, any, any>;

/**
 * Everything that differs between database engines, declared in one place (the Kysely way):
 * capability flags and methods. Feature modules call these and never branch on the engine.
 */
export interface DialectAdapter {
  readonly name: 'sqlite' | 'postgres';
  /**
   * Whether the events key `pk` is unique per organization (appends of different organizations
   * never contend for keys) or across the whole table (appends are serialized anyway).
   */
  readonly keyPerOrganization: boolean;
  /**
   * Whether (org_id, seq) and (org_id, id) can be unique indexes on the events table. Not on a
   * table partitioned by time, whose unique indexes must contain the partition key: there the
   * per-organization chain lock keeps them unique.
   */
  readonly uniqueEventIndexes: boolean;
  /**
   * Whether the full-text indexer runs in a worker thread with its own connection (SQLite: the
   * indexing CPU and the writes to search.db stay off the request thread) or in process.
   */
  readonly indexInWorkerThread: boolean;
  /** Creates the events table keyed by the caller-assigned, time-ordered integer `pk`. */
  createEventsTable(db: Kysely<any>): Promise<void>;
  /** Creates what the engine's full-text index keeps inside the database (nothing for SQLite, whose index is a file). */
  createSearchTables(db: Kysely<any>): Promise<void>;
  /**
   * Makes the events table ready to take entries up to `untilMs` (partitions created ahead on
   * PostgreSQL; nothing to do on SQLite). Idempotent.
   */
  preparePartitions(db: Kysely<any>, untilMs: number): Promise<void>;
  /** The row lock that serializes a read-then-write for the rest of the transaction (SELECT ... FOR UPDATE). */
  forUpdate<Q extends Lockable>(query: Q): Q;
  /** A lock that skips rows another transaction holds (FOR UPDATE SKIP LOCKED), for claiming work. */
  forClaim<Q extends Lockable>(query: Q): Q;
  /** Lets the engine refresh planner statistics; cheap when nothing changed. */
  optimize(db: Kysely<any>): Promise<void>;
  /**
   * While `on`, content this connection deletes or overwrites is erased from the file rather than
   * left in free space: for rewriting values that were stored in clear.
   */
  eraseOverwritten(db: Kysely<any>, on: boolean): Promise<void>;
}

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
   * Whether every index on the events table ends in the key by itself (SQLite: the rowid), so that
   * "newest first where X" walks index (org_id, X) backwards and stops after a page. Where it does
   * not (PostgreSQL), the events indexes name `pk` as their last column.
   */
  readonly indexesEndInKey: boolean;
  /**
   * Whether the events table keeps one index per structured condition (type, actor, target, ...),
   * maintained by every append, or the engine's SearchIndex keeps them (SearchIndex.filters), filled
   * by the indexer off the write path. SQLite: off (eight indexes halved the append rate, each
   * commit dirtying a page per distinct actor or target); PostgreSQL: on (its appends are bounded
   * by round trips, and its indexer shares the server's thread).
   */
  readonly filterIndexesOnEvents: boolean;
  /**
   * Whether the full-text indexer runs in a worker thread with its own connection (SQLite: the
   * indexing CPU and the writes to search.db stay off the request thread) or in process.
   */
  readonly indexInWorkerThread: boolean;
  /**
   * Whether the data dir may hold the key-encryption key of the stored keys when none is configured
   * (SQLite: the database is a file in that same directory). Not where several servers, each with
   * its own data dir, share the database: there it must be configured (AUDITUM_SECRET_KEY).
   */
  readonly keyEncryptionKeyInDataDir: boolean;
  /** Creates the events table keyed by the caller-assigned, time-ordered integer `pk`. */
  createEventsTable(db: Kysely<any>): Promise<void>;
  /** Creates what the engine's full-text index keeps inside the database (nothing for SQLite, whose index is a file). */
  createSearchTables(db: Kysely<any>): Promise<void>;
  /** The activity counts' table (event-counts.ts), where the search index lives in the database, filled from what is indexed. */
  createCountTables(db: Kysely<any>): Promise<void>;
  /**
   * Makes the events table ready to take entries from `fromMs` (default: now) up to `untilMs`
   * (partitions created ahead on PostgreSQL; nothing to do on SQLite). Idempotent.
   */
  preparePartitions(db: Kysely<any>, untilMs: number, fromMs?: number): Promise<void>;
  /**
   * Inside the open transaction `db`: waits for, then holds until it ends, a lock that every other
   * transaction taking the same `lockId` waits for; for a read-then-insert no row lock can cover
   * (the rows do not exist yet). An advisory lock on PostgreSQL; nothing on SQLite, whose
   * transactions hold the write lock from their start.
   */
  lockExclusive(db: Kysely<any>, lockId: number): Promise<void>;
  /** The row lock that serializes a read-then-write for the rest of the transaction (SELECT ... FOR UPDATE). */
  forUpdate<Q extends Lockable>(query: Q): Q;
  /** A lock that skips rows another transaction holds (FOR UPDATE SKIP LOCKED), for claiming work. */
  forClaim<Q extends Lockable>(query: Q): Q;
  /**
   * Inside the open transaction `db`: tells every server listening on `channel` (Database.listen)
   * once the transaction commits (NOTIFY on PostgreSQL; nothing on SQLite, which has one server).
   */
  notify(db: Kysely<any>, channel: string, payload: string): Promise<void>;
  /** Lets the engine refresh planner statistics; cheap when nothing changed. */
  optimize(db: Kysely<any>): Promise<void>;
  /**
   * While `on`, content this connection deletes or overwrites is erased from the file rather than
   * left in free space: for rewriting values that were stored in clear.
   */
  eraseOverwritten(db: Kysely<any>, on: boolean): Promise<void>;
  /**
   * Removes earlier versions of overwritten rows from the engine's own log files where it keeps
   * them beside the database (SQLite: its write-ahead log, emptied by a checkpoint). Nothing on
   * PostgreSQL: replaced rows are dead tuples no query reads, reclaimed by (auto)vacuum.
   */
  truncateLog(db: Kysely<any>): Promise<void>;
}

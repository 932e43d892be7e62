import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { CompiledQuery, Kysely, SqliteDialect, type DatabaseConnection, type Driver, type SqliteDialectConfig } from 'kysely';
import { makePrivateDir, preparePrivateSqliteFile } from '../data-dir.ts';
import { storageFailure } from '../errors.ts';
import type { DialectAdapter } from './dialect.ts';
import { sqliteAdapter } from './sqlite-adapter.ts';
import type { SearchIndex } from './search-index.ts';
import { openSqliteSearch } from './sqlite-search.ts';
import { migrateToLatest } from './migrate.ts';
import { openPostgresDatabase } from './postgres.ts';
import type { Tables } from './tables.ts';

export type Db = Kysely<Tables>;

export interface Database {
  db: Db;
  adapter: DialectAdapter;
  /** The full-text index (a separate file, written only by the indexer). */
  search: SearchIndex;
  /**
   * Calls `onMessage` with the payload of each notification on `channel` that another connection
   * commits (adapter.notify), on a connection of its own that comes back after an outage (and
   * then calls `onMessage(undefined)`: something may have been missed). Nothing on SQLite.
   */
  listen(channel: string, onMessage: (payload: string | undefined) => void): Listener;
  /** Closes the connection; safe to call twice. */
  close(): Promise<void>;
}

export interface Listener {
  close(): Promise<void>;
}

export interface DatabaseOptions {
  dataDir: string;
  /** A postgres:// URL: the database is PostgreSQL; without it, the SQLite file in the data dir. */
  url?: string;
  sync: 'full' | 'normal';
  /** Set on secondary connections (worker threads): the opener has already migrated. */
  skipMigrations?: boolean;
}

/**
 * better-sqlite3 compiles a statement on every prepare(); the query builder prepares each time
 * it runs. Reusing compiled statements for repeated SQL (a bounded cache) saves that work on
 * the hot paths. A statement still busy (an open iterator) is never handed out twice.
 */
function withStatementCache(handle: SQLite.Database, size = 200) {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => handle.close(),
    prepare(source: string) {
      const cached = cache.get(source);
      if (cached && !cached.busy) return cached;
      const statement = handle.prepare(source);
      if (!cached) {
        if (cache.size >= size) cache.delete(cache.keys().next().value!);
        cache.set(source, statement);
      }
      return statement;
    },
  };
}

/**
 * Transactions take the write lock up front (BEGIN IMMEDIATE): another connection (the search
 * indexer's thread) may commit between our first read and first write, which would otherwise
 * make the upgrade fail instead of waiting its turn.
 *
 * Rollback runs only while a transaction is open. SQLite rolls a transaction back by itself
 * after some errors (SQLITE_FULL, SQLITE_IOERR, ...); Kysely then still sends ROLLBACK, and its
 * "no transaction is active" would replace the error that mattered ("database or disk is full").
 */
class ImmediateSqliteDialect extends SqliteDialect {
  readonly #inTransaction: () => boolean;

  constructor(config: SqliteDialectConfig & { inTransaction: () => boolean }) {
    super(config);
    this.#inTransaction = config.inTransaction;
  }

  createDriver(): Driver {
    const driver = super.createDriver();
    const inTransaction = this.#inTransaction;
    driver.beginTransaction = async (connection: DatabaseConnection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    driver.rollbackTransaction = async (connection: DatabaseConnection) => {
      if (!inTransaction()) return;
      try {
        await connection.executeQuery(CompiledQuery.raw('rollback'));
      } catch (error) {
        // Ended between the check and the statement: the state asked for is reached.
        if (!/no transaction is active/.test((error as Error).message)) throw error;
      }
    };
    return driver;
  }
}

/**
 * Opens the SQLite handle. SQLite reports a data directory it cannot write to as "unable to
 * open database file" (SQLITE_CANTOPEN, when creating -shm) or later as SQLITE_READONLY; the
 * first is made a StorageError here when the directory is indeed not writable.
 */
function openHandle(dataDir: string, file: string, sync: DatabaseOptions['sync']): SQLite.Database {
  let handle: SQLite.Database | undefined;
  try {
    makePrivateDir(dataDir);
    preparePrivateSqliteFile(file);
    handle = new SQLite(file);
    handle.pragma('journal_mode = WAL');
    handle.pragma(`synchronous = ${sync === 'full' ? 'FULL' : 'NORMAL'}`);
    handle.pragma('foreign_keys = ON');
    handle.pragma('busy_timeout = 5000');
    // What is deleted or overwritten is zeroed where that costs no extra writes, so no stale copy of a
    // row stays in a page's free space (erasure, README); an erasure zeroes the rest (eraseOverwritten).
    handle.pragma('secure_delete = FAST');
    handle.pragma('cache_size = -16384');
    handle.pragma('temp_store = MEMORY');
    return handle;
  } catch (error) {
    handle?.close();
    throw storageFailure(error) ?? storageFailure(notWritable(dataDir, error)) ?? error;
  }
}

/**
 * The error access(W_OK) gives (EROFS, EACCES) for the directory, or for its nearest existing
 * parent when it is still to be made; it has `failure` as its cause. Undefined when writable.
 */
function notWritable(dir: string, failure: unknown): Error | undefined {
  let existing = path.resolve(dir);
  while (!fs.existsSync(existing) && path.dirname(existing) !== existing) existing = path.dirname(existing);
  try {
    fs.accessSync(existing, fs.constants.W_OK);
    return undefined;
  } catch (error) {
    return Object.assign(error as Error, { cause: failure });
  }
}

/** The structured conditions' indexes are in exactly one place: the events table or the search index. */
function assertFilterIndexes(adapter: DialectAdapter, search: SearchIndex): void {
  if (adapter.filterIndexesOnEvents === (search.filters !== undefined)) {
    throw new Error(`the ${adapter.name} engine must keep the filter indexes on the events table or in its search index, not both or neither`);
  }
}

/**
 * Opens the configured database, creating and migrating it on first use: PostgreSQL when a URL is
 * given, else the SQLite file `auditum.db` in the data dir.
 */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) {
    const database = await openPostgresDatabase({ url: options.url, dataDir: options.dataDir, skipMigrations: options.skipMigrations });
    assertFilterIndexes(database.adapter, database.search);
    return database;
  }
  const handle = openHandle(options.dataDir, path.join(options.dataDir, 'auditum.db'), options.sync);
  const db = new Kysely<Tables>({
    dialect: new ImmediateSqliteDialect({ database: withStatementCache(handle), inTransaction: () => handle.inTransaction }),
  });
  let search: SearchIndex;
  try {
    if (!options.skipMigrations) await migrateToLatest(db, sqliteAdapter, { dataDir: options.dataDir });
    search = openSqliteSearch(options.dataDir);
    assertFilterIndexes(sqliteAdapter, search);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  let closed = false;
  return {
    db,
    adapter: sqliteAdapter,
    search,
    listen: () => ({ close: async () => {} }),
    async close() {
      if (closed) return;
      closed = true;
      await search.close();
      await db.destroy();
    },
  };
}

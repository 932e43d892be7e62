import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { CompiledQuery, Kysely, SqliteDialect, type DatabaseConnection, type Driver } from 'kysely';
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
  /** Closes the connection; safe to call twice. */
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
 */
class ImmediateSqliteDialect extends SqliteDialect {
  createDriver(): Driver {
    const driver = super.createDriver();
    driver.beginTransaction = async (connection: DatabaseConnection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    return driver;
  }
}

/**
 * Opens the configured database, creating and migrating it on first use: PostgreSQL when a URL is
 * given, else the SQLite file `auditum.db` in the data dir.
 */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) return openPostgresDatabase({ url: options.url, dataDir: options.dataDir, skipMigrations: options.skipMigrations });
  fs.mkdirSync(options.dataDir, { recursive: true });
  const file = path.join(options.dataDir, 'auditum.db');
  const handle = new SQLite(file);
  handle.pragma('journal_mode = WAL');
  handle.pragma(`synchronous = ${options.sync === 'full' ? 'FULL' : 'NORMAL'}`);
  handle.pragma('foreign_keys = ON');
  handle.pragma('busy_timeout = 5000');
  handle.pragma('cache_size = -16384');
  handle.pragma('temp_store = MEMORY');
  const db = new Kysely<Tables>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(handle) }) });
  if (!options.skipMigrations) await migrateToLatest(db, sqliteAdapter, { dataDir: options.dataDir });
  const search = openSqliteSearch(options.dataDir);
  let closed = false;
  return {
    db,
    adapter: sqliteAdapter,
    search,
    async close() {
      if (closed) return;
      closed = true;
      await search.close();
      await db.destroy();
    },
  };
}

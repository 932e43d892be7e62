import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { DialectAdapter } from './dialect.ts';
import { sqliteAdapter } from './sqlite-adapter.ts';
import { migrateToLatest } from './migrate.ts';
import type { Tables } from './tables.ts';

export type Db = Kysely<Tables>;

export interface Database {
  db: Db;
  adapter: DialectAdapter;
  /** Closes the connection; safe to call twice. */
  close(): Promise<void>;
}

export interface DatabaseOptions {
  dataDir: string;
  sync: 'full' | 'normal';
}

/** Opens (creating and migrating on first use) the SQLite database `auditum.db` in the data dir. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  fs.mkdirSync(options.dataDir, { recursive: true });
  const file = path.join(options.dataDir, 'auditum.db');
  const handle = new SQLite(file);
  handle.pragma('journal_mode = WAL');
  handle.pragma(`synchronous = ${options.sync === 'full' ? 'FULL' : 'NORMAL'}`);
  handle.pragma('foreign_keys = ON');
  handle.pragma('busy_timeout = 5000');
  handle.pragma('cache_size = -65536');
  handle.pragma('temp_store = MEMORY');
  const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: handle }) });
  await migrateToLatest(db, sqliteAdapter);
  let closed = false;
  return {
    db,
    adapter: sqliteAdapter,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

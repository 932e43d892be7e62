import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { StorageError } from '../errors.ts';
import type { Database, Listener } from './database.ts';
import { listenPostgres } from './postgres-listener.ts';
import { migrateToLatest } from './migrate.ts';
import { postgresAdapter } from './postgres-adapter.ts';
import { createPostgresSearch } from './postgres-search.ts';
import type { Tables } from './tables.ts';

/** Refused at start-up: the database cannot be used as configured (bad URL, unreachable, refused). */
export class DatabaseStartError extends Error {}

/** int8 as a JS number when it is a safe integer; anything larger would lose digits, so it is refused loudly. */
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`int8 value ${text} is not a safe integer; refusing to round it`);
  return value;
}

const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === pg.types.builtins.INT8) return parseInt8;
    return pg.types.getTypeParser(oid, format);
  },
};

/** The URL without its password, for messages. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '****';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** Opens a pool on `url`, checks that the server answers, and migrates (unless told not to). */
export async function openPostgresDatabase(options: { url: string; dataDir: string; skipMigrations?: boolean; poolSize?: number }) {
  let config: pg.PoolConfig;
  try {
    const parsed = new URL(options.url);
    if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') throw new Error('not a postgres:// URL');
    config = { connectionString: options.url, max: options.poolSize ?? 10, types, connectionTimeoutMillis: 10_000 };
  } catch {
    throw new DatabaseStartError(`AUDITUM_DATABASE_URL is not a valid postgres://user:password@host:port/database URL`);
  }
  const pool = new pg.Pool(config);
  // A connection the server dropped must not take the process down: an idle one is replaced, and the
  // query running on a busy one fails with the error (answered 503 database_unavailable).
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  try {
    const { rows } = await pool.query<{ version: number }>("select current_setting('server_version_num')::int as version");
    if (rows[0]!.version < 150000) throw new Error(`PostgreSQL ${rows[0]!.version} is too old; 15 or newer is needed`);
  } catch (error) {
    await pool.end();
    const reason = error instanceof Error ? error.message : String(error);
    throw new DatabaseStartError(`cannot use the database at ${safeUrl(options.url)}: ${reason}`);
  }
  // A connection that cannot be had (server down, refused, timed out) is the database being unavailable:
  // said here, where a socket error is known to be the database's and not an outbound call's.
  const connect = pool.connect.bind(pool) as () => Promise<pg.PoolClient>;
  const guarded = Object.assign(pool, {
    connect: () => connect().catch((error: unknown) => Promise.reject(new StorageError('database_unavailable', { cause: error }))),
  });
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool: guarded }) });
  // Kysely takes a PostgreSQL advisory lock around migrations, so servers starting at once migrate one at a time.
  if (!options.skipMigrations) await migrateToLatest(db, postgresAdapter, { dataDir: options.dataDir });
  // Before anything is written: this month's partition must exist before an entry could land in the default one.
  await postgresAdapter.preparePartitions(db, Date.now());
  let closed = false;
  const listeners = new Set<Listener>();
  const database: Database = {
    db,
    adapter: postgresAdapter,
    search: createPostgresSearch(db),
    listen(channel, onMessage) {
      const listener = listenPostgres({ connectionString: options.url, types }, channel, onMessage);
      listeners.add(listener);
      return listener;
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...listeners].map((listener) => listener.close()));
      await db.destroy();
    },
  };
  return database;
}

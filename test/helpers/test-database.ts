import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';

/** The database the test run uses: scripts/run-tests.mjs runs the suite once per dialect. */
export const TEST_DIALECT: 'sqlite' | 'postgres' = process.env.AUDITUM_TEST_DIALECT === 'postgres' ? 'postgres' : 'sqlite';

function adminUrl(): string {
  const url = process.env.AUDITUM_TEST_DATABASE_URL;
  if (!url) throw new Error('AUDITUM_TEST_DIALECT=postgres needs AUDITUM_TEST_DATABASE_URL (scripts/run-tests.mjs sets both)');
  return url;
}

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(adminUrl());
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database for one test app: a new PostgreSQL database, or undefined on SQLite (the data dir holds the file). */
export async function freshDatabaseUrl(): Promise<string | undefined> {
  return TEST_DIALECT === 'sqlite' ? undefined : freshPostgresUrl();
}

/** A new, empty PostgreSQL database whatever the run's dialect (needs AUDITUM_TEST_DATABASE_URL): for copies to PostgreSQL. */
export async function freshPostgresUrl(): Promise<string> {
  const name = `auditum_test_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops a database made by freshDatabaseUrl (connections still open are ended). */
export async function dropDatabase(url: string | undefined): Promise<void> {
  if (!url) return;
  const name = new URL(url).pathname.slice(1);
  await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

/**
 * The key-encryption key of this test process's PostgreSQL databases: PostgreSQL needs one
 * configured, while SQLite keeps its own in the data dir.
 */
export const TEST_SECRET_KEY = randomBytes(32).toString('base64');

/** Environment for a server or CLI process of a test: the database to use besides the data dir, and its key. */
export function databaseEnv(url: string | undefined): Record<string, string> {
  return url ? { AUDITUM_DATABASE_URL: url, AUDITUM_SECRET_KEY: TEST_SECRET_KEY } : {};
}

/**
 * Raw SQL on a test's database, for tests that tamper with stored rows or inject faults: the one
 * way to reach around Auditum, on both engines. Write `?` placeholders; they become $1.. on PostgreSQL.
 */
export interface RawSql {
  run(statement: string, params?: unknown[]): Promise<void>;
  all<T = Record<string, unknown>>(statement: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export async function openRawSql(target: { dataDir: string; databaseUrl?: string }): Promise<RawSql> {
  if (!target.databaseUrl) {
    const handle = new Database(path.join(target.dataDir, 'auditum.db'));
    return {
      async run(statement, params = []) {
        handle.prepare(statement).run(...params);
      },
      async all<T>(statement: string, params: unknown[] = []) {
        const prepared = handle.prepare(statement);
        if (!prepared.reader) {
          prepared.run(...params);
          return [];
        }
        return prepared.all(...params) as T[];
      },
      async close() {
        handle.close();
      },
    };
  }
  const client = new pg.Client(target.databaseUrl);
  await client.connect();
  const numbered = (statement: string) => {
    let n = 0;
    return statement.replace(/\?/g, () => `$${++n}`);
  };
  return {
    async run(statement, params = []) {
      await client.query(numbered(statement), params);
    },
    async all<T>(statement: string, params: unknown[] = []) {
      return (await client.query(numbered(statement), params)).rows as T[];
    },
    async close() {
      await client.end();
    },
  };
}

/**
 * Makes the database refuse to store entries of `type` (a trigger), so an action's self-audit entry
 * fails after the action's own writes. Returns the undo.
 */
export async function failEntriesOfType(target: { dataDir: string; databaseUrl?: string }, type: string): Promise<() => Promise<void>> {
  const raw = await openRawSql(target);
  const name = `fail_${type.replace(/\W/g, '_')}`;
  if (!target.databaseUrl) {
    await raw.run(`CREATE TRIGGER ${name} BEFORE INSERT ON events WHEN NEW.type = '${type}' BEGIN SELECT RAISE(ABORT, 'injected'); END`);
  } else {
    await raw.run(`CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      IF NEW.type = '${type}' THEN RAISE EXCEPTION 'injected'; END IF; RETURN NEW; END $$`);
    await raw.run(`CREATE TRIGGER ${name} BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION ${name}()`);
  }
  return async () => {
    // DROP TRIGGER locks the events table and its partitions one by one, so it can deadlock with
    // the server's background reads on PostgreSQL; the database aborts one side, and we try again.
    for (let attempt = 1; ; attempt++) {
      try {
        await raw.run(target.databaseUrl ? `DROP TRIGGER ${name} ON events` : `DROP TRIGGER ${name}`);
        break;
      } catch (error) {
        if ((error as { code?: string }).code !== '40P01' || attempt >= 5) throw error;
      }
    }
    if (target.databaseUrl) await raw.run(`DROP FUNCTION ${name}()`);
    await raw.close();
  };
}

/** Runs one raw statement on a test's database and returns its rows (a shorthand for openRawSql). */
export async function rawQuery<T = Record<string, unknown>>(
  target: { dataDir: string; databaseUrl?: string },
  statement: string,
  params: unknown[] = [],
): Promise<T[]> {
  const raw = await openRawSql(target);
  try {
    return await raw.all<T>(statement, params);
  } finally {
    await raw.close();
  }
}

/**
 * Everything a test's database holds, as text to search for values that must not be there: the
 * SQLite files' bytes (with their WAL), or every row of every PostgreSQL table.
 */
export async function storedContents(target: { dataDir: string; databaseUrl?: string }): Promise<string[]> {
  if (!target.databaseUrl) {
    return fs
      .readdirSync(target.dataDir)
      .filter((f) => f.startsWith('auditum.db'))
      .map((f) => fs.readFileSync(path.join(target.dataDir, f)).toString('latin1'));
  }
  const raw = await openRawSql(target);
  try {
    const tables = await raw.all<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    );
    const out: string[] = [];
    for (const { name } of tables) {
      const rows = await raw.all<{ row: string }>(`SELECT t::text AS row FROM "${name}" t`);
      out.push(rows.map((r) => r.row).join('\n'));
    }
    return out;
  } finally {
    await raw.close();
  }
}

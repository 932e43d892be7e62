/**
 * The engine's own limit for the rows ingest writes: `count` stored events re-inserted with the raw
 * driver (no Auditum code) into a copy of the events table, 500 rows per transaction as durable as
 * the server's (SQLite synchronous=FULL; PostgreSQL with fsync and synchronous_commit on), once with
 * the primary key only and once with every index the events table has.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import type { BenchStore } from './common.ts';

const BATCH = 500;

export interface RawInsertResult {
  pkOnly: number;
  allIndexes: number;
  indexes: number;
}

export async function rawInsertLimit(store: BenchStore, count: number): Promise<RawInsertResult> {
  return store.databaseUrl ? postgresLimit(store.databaseUrl, count) : sqliteLimit(path.join(store.dataDir, 'auditum.db'), count);
}

function sqliteLimit(file: string, count: number): RawInsertResult {
  const db = new Sqlite(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  const table = (db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'events'").get() as { sql: string }).sql;
  const indexes = (db.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL").all() as Array<{ sql: string }>)
    .map((row) => row.sql);
  const rows = db.prepare('SELECT * FROM events ORDER BY rowid LIMIT ?').all(count) as Array<Record<string, unknown>>;
  const columns = Object.keys(rows[0]!);
  const run = (withIndexes: boolean) => {
    db.exec('DROP TABLE IF EXISTS bench_copy');
    db.exec(copyName(table));
    if (withIndexes) for (const sql of indexes) db.exec(copyName(sql));
    const insert = db.prepare(`INSERT INTO bench_copy (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`);
    const batch = db.transaction((slice: Array<Record<string, unknown>>) => {
      for (const row of slice) insert.run(row);
    });
    const t0 = performance.now();
    for (let i = 0; i < rows.length; i += BATCH) batch(rows.slice(i, i + BATCH));
    return rows.length / ((performance.now() - t0) / 1000);
  };
  const pkOnly = run(false);
  const allIndexes = run(true);
  db.exec('DROP TABLE bench_copy');
  db.close();
  return { pkOnly, allIndexes, indexes: indexes.length };
}

/** The events table's or an index's DDL, renamed to the copy. */
function copyName(sql: string): string {
  return sql.replace(/"events"|\bevents\b/g, '"bench_copy"').replace(/"events_/g, '"bench_copy_').replace(/\bindex "?(\w+)"?/i, 'index "bench_copy_$1"');
}

async function postgresLimit(url: string, count: number): Promise<RawInsertResult> {
  const client = new pg.Client(url);
  await client.connect();
  const { rows } = await client.query('SELECT * FROM events ORDER BY org_id, pk LIMIT $1', [count]);
  const indexes = (await client.query("SELECT indexdef FROM pg_indexes WHERE tablename = 'events' AND indexname <> 'events_pkey'")).rows
    .map((row: { indexdef: string }) => row.indexdef);
  const run = async (withIndexes: boolean) => {
    await client.query('DROP TABLE IF EXISTS bench_copy');
    await client.query('CREATE TABLE bench_copy (LIKE events INCLUDING DEFAULTS, PRIMARY KEY (org_id, pk))');
    if (withIndexes) {
      for (const def of indexes) await client.query(def.replace(/INDEX (\w+) ON (ONLY )?(public\.)?events /, 'INDEX bench_copy_$1 ON bench_copy '));
    }
    const t0 = performance.now();
    for (let i = 0; i < rows.length; i += BATCH) {
      await client.query('BEGIN');
      await client.query('INSERT INTO bench_copy SELECT * FROM json_populate_recordset(null::bench_copy, $1)', [JSON.stringify(rows.slice(i, i + BATCH))]);
      await client.query('COMMIT');
    }
    return rows.length / ((performance.now() - t0) / 1000);
  };
  const pkOnly = await run(false);
  const allIndexes = await run(true);
  await client.query('DROP TABLE bench_copy');
  await client.end();
  return { pkOnly, allIndexes, indexes: indexes.length };
}

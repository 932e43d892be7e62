import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.ts';
import { openDatabase, type Database } from '../src/db/database.ts';
import { createServices } from '../src/main.ts';
import { sql } from 'kysely';
import pg from 'pg';
import { startCluster } from '../scripts/pg-cluster.mjs';

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
export const mb = (bytes: number) => `${fmt(bytes / 1024 / 1024)} MB`;

/** The peak resident set size of a process so far (VmHWM), in bytes. */
export function peakRss(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb * 1024;
}

export function tmpDir(label: string): string {
  return fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), `auditum-bench-${label}-`));
}

/** Where a scenario's data lives: a data dir, and on PostgreSQL a database of the benchmark's own cluster. */
export interface BenchStore {
  dialect: 'sqlite' | 'postgres';
  dataDir: string;
  databaseUrl?: string;
  /** Environment for a server process on this store. */
  env: Record<string, string>;
}

/** The key-encryption key of the benchmark's PostgreSQL stores (the SQLite ones keep theirs in the data dir). */
const BENCH_SECRET_KEY = randomBytes(32).toString('base64');

let cluster: Promise<{ url: string; stop(): void }> | undefined;

/** The benchmark's PostgreSQL cluster, started once (durable: fsync and synchronous commit on, as in production). */
function benchCluster(): Promise<{ url: string; stop(): void }> {
  cluster ??= startCluster({ durable: true }).then((started) => {
    process.on('exit', () => started.stop());
    // An interrupted benchmark stops its cluster too ('exit' alone does not run on a signal).
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
    return started;
  });
  return cluster;
}

/** A fresh store for one scenario on `dialect`. */
export async function benchStore(label: string, dialect: BenchStore['dialect']): Promise<BenchStore> {
  const dataDir = tmpDir(label);
  if (dialect === 'sqlite') return { dialect, dataDir, env: { AUDITUM_DATA_DIR: dataDir } };
  const { url } = await benchCluster();
  const client = new pg.Client(url);
  await client.connect();
  const name = `bench_${label.replace(/\W/g, '_')}_${Date.now()}`;
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const databaseUrl = Object.assign(new URL(url), { pathname: `/${name}` }).toString();
  return { dialect, dataDir, databaseUrl, env: { AUDITUM_DATA_DIR: dataDir, AUDITUM_DATABASE_URL: databaseUrl, AUDITUM_SECRET_KEY: BENCH_SECRET_KEY } };
}

/** Opens the store's database in this process, with services over it. */
export async function openStore(store: BenchStore) {
  const config = loadConfig(store.env, { dataDir: store.dataDir, databaseUrl: store.databaseUrl });
  const database = await openDatabase({ dataDir: store.dataDir, url: store.databaseUrl, sync: config.sqliteSync });
  return { config, database, services: await createServices(database, config) };
}

/** Moves the organization's alert evaluation to `seq`, as if the evaluator had kept up with the fill. */
export async function markAlertsCaughtUp(database: Database, orgId: string, seq: number): Promise<void> {
  await sql`UPDATE alert_state SET evaluated_seq = ${seq} WHERE org_id = ${orgId}`.execute(database.db);
}

/** Bytes the store occupies: the data dir's files, plus the PostgreSQL database's size. */
export async function storeSize(store: BenchStore): Promise<number> {
  const files = fs.readdirSync(store.dataDir).map((f) => path.join(store.dataDir, f));
  let size = files.reduce((sum, f) => sum + (fs.statSync(f).isFile() ? fs.statSync(f).size : 0), 0);
  if (store.databaseUrl) {
    const client = new pg.Client(store.databaseUrl);
    await client.connect();
    size += Number((await client.query('SELECT pg_database_size(current_database()) AS n')).rows[0].n);
    await client.end();
  }
  return size;
}

/** Removes the store's data dir (its PostgreSQL database goes with the cluster at exit). */
export function removeStore(store: BenchStore): void {
  fs.rmSync(store.dataDir, { recursive: true, force: true });
}

/** Creates the organization "bench" and an admin key in a fresh store. */
export async function setupOrg(store: BenchStore): Promise<{ orgId: string; key: string }> {
  const { database, services } = await openStore(store);
  const org = await services.orgs.create('bench');
  const { key } = await services.apiKeys.create(org.id, { scopes: ['admin'] });
  await database.close();
  return { orgId: org.id, key };
}

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { createServices } from '../src/main.ts';

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

/** Creates the organization "bench" and an admin key in a fresh data directory. */
export async function setupOrg(dataDir: string): Promise<{ orgId: string; key: string }> {
  const config = loadConfig({}, { dataDir });
  const database = await openDatabase({ dataDir, sync: config.sqliteSync });
  const services = await createServices(database, config);
  const org = await services.orgs.create('bench');
  const { key } = await services.apiKeys.create(org.id, { scopes: ['admin'] });
  await database.close();
  return { orgId: org.id, key };
}

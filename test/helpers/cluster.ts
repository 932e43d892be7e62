import fs from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { loadConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/database.ts';
import { createServices } from '../../src/main.ts';
import { freePort, startServerProcess, waitForExit } from './process.ts';
import { freshDataDir } from './test-app.ts';
import { databaseEnv } from './test-database.ts';

/** One `auditum serve` process of a cluster: its port, its own data dir, and the child while it runs. */
export interface ClusterServer {
  port: number;
  dataDir: string;
  url: string;
  env: Record<string, string>;
  child?: ChildProcess;
}

/**
 * Creates the organizations in the database at `databaseUrl`, each with an admin API key,
 * from a throwaway data dir (each server has its own). Returns slug -> key.
 */
export async function seedOrgs(databaseUrl: string, slugs: string[], env: Record<string, string> = {}) {
  const dataDir = freshDataDir('auditum-cluster-seed');
  const config = loadConfig({ ...databaseEnv(databaseUrl), ...env }, { dataDir, databaseUrl });
  const database = await openDatabase({ dataDir, url: databaseUrl, sync: 'full' });
  const services = await createServices(database, config);
  const keys = new Map<string, string>();
  for (const slug of slugs) {
    const org = await services.orgs.create(slug);
    keys.set(slug, (await services.apiKeys.create(org.id, { scopes: ['admin'] })).key);
  }
  await database.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  return keys;
}

/**
 * The environment the cluster tests' servers share: the database, quiet logs, a short lease,
 * outbound requests to the loopback receivers and quick retries; `extra` adds or overrides.
 */
export function clusterEnv(databaseUrl: string | undefined, leaseMs: number, extra: Record<string, string> = {}) {
  return {
    ...databaseEnv(databaseUrl),
    AUDITUM_LOG_LEVEL: 'warn',
    AUDITUM_WORK_LEASE_MS: String(leaseMs),
    AUDITUM_OUTBOUND_ALLOW: '127.0.0.1',
    AUDITUM_OTEL_RETRY_BASE_MS: '100',
    ...extra,
  };
}

/** `count` servers (not started) on free ports over one database, each with `env` and a fresh data dir. */
export async function clusterServers(count: number, env: Record<string, string>): Promise<ClusterServer[]> {
  const servers: ClusterServer[] = [];
  for (let i = 0; i < count; i++) {
    const port = await freePort();
    const dataDir = freshDataDir(`auditum-cluster-${i}`);
    servers.push({ port, dataDir, url: `http://127.0.0.1:${port}`, env: { ...env, AUDITUM_DATA_DIR: dataDir, PORT: String(port) } });
  }
  return servers;
}

export async function startClusterServer(server: ClusterServer): Promise<void> {
  server.child = (await startServerProcess(server.env)).child;
}

/** Kills the server (SIGKILL unless told otherwise) and waits for it to exit. */
export async function stopClusterServer(server: ClusterServer, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  const child = server.child;
  if (!child) return;
  child.kill(signal);
  await waitForExit(child);
  server.child = undefined;
}

/** Stops every server and removes its data dir. */
export async function removeCluster(servers: ClusterServer[]): Promise<void> {
  for (const server of servers) {
    await stopClusterServer(server);
    fs.rmSync(server.dataDir, { recursive: true, force: true });
  }
}

/** One API call with a bearer key; the parsed JSON body (null when empty) and the status. */
export async function apiCall(server: ClusterServer, key: string, method: string, path: string, body?: unknown) {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

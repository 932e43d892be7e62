/**
 * HTTP ingest into a fresh store through a server process: `clients` concurrent clients, each
 * sending its next request (`batch` events; 1 sends a bare event, the way most applications do)
 * as soon as the previous one is acknowledged. Reports events/s, request latency and peak RSS, and
 * the requests/s the same clients get from GET /healthz on the same server (the machine's floor).
 */
import { performance } from 'node:perf_hooks';
import { freePort, startServerProcess, waitForExit } from '../test/helpers/process.ts';
import { benchStore, peakRss, removeStore, setupOrg, type BenchStore } from './common.ts';
import { benchEvent } from './data.ts';
import { leanClient } from './http-client.ts';

export interface IngestResult {
  rate: number;
  p50: number;
  p99: number;
  rss: number;
  /** Requests/s the same clients get from GET /healthz: what this machine's HTTP allows at all. */
  floorRate: number;
}

export async function httpIngest(
  dialect: BenchStore['dialect'],
  { clients, batch, events, now }: { clients: number; batch: number; events: number; now: number },
): Promise<IngestResult> {
  const store = await benchStore(`http_${batch}`, dialect);
  const { key } = await setupOrg(store);
  const span = 90 * 24 * 3600 * 1000;
  const bodies: string[] = [];
  for (let i = 0; i < events; i += batch) {
    const group = Array.from({ length: Math.min(batch, events - i) }, (_, k) => benchEvent(i + k, now, span, events));
    bodies.push(JSON.stringify(batch === 1 ? group[0] : { events: group }));
  }
  const port = await freePort();
  const server = await startServerProcess({ ...store.env, PORT: String(port), AUDITUM_LOG_LEVEL: 'warn' });
  const client = leanClient(server.url, clients);
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  // The floor of this machine: the same clients on the server's cheapest route, in the same run.
  const floor = await load(clients, bodies.length, async () => {
    const res = await client.send('GET', '/healthz', {});
    if (res.status !== 200) throw new Error(`healthz: ${res.status}`);
  });
  let next = 0;
  const run = await load(clients, bodies.length, async () => {
    const res = await client.send('POST', '/v1/events', headers, bodies[next++]!);
    if (res.status !== 201) throw new Error(`ingest failed: ${res.status} ${res.text}`);
  });
  client.close();
  const rss = peakRss(server.child.pid!);
  server.child.kill('SIGTERM');
  await waitForExit(server.child);
  removeStore(store);
  const at = (q: number) => run.latencies[Math.min(run.latencies.length - 1, Math.floor(q * run.latencies.length))]!;
  return { rate: events / run.seconds, p50: at(0.5), p99: at(0.99), rss, floorRate: bodies.length / floor.seconds };
}

/** `count` calls of `call` from `clients` concurrent loops; each call's latency (sorted) and the time. */
async function load(clients: number, count: number, call: () => Promise<void>) {
  const latencies: number[] = [];
  let started = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (started < count) {
        started += 1;
        const t = performance.now();
        await call();
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { seconds: (performance.now() - t0) / 1000, latencies: latencies.sort((a, b) => a - b) };
}

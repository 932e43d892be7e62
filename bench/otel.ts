/**
 * OTLP export: how fast a backlog drains to a loopback receiver (records/s, against the core
 * HTTP ingest rate), and the delivery lag while ingesting steadily at half that rate.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { startOtlpReceiver } from '../test/helpers/otlp-receiver.ts';
import { freePort, startServerProcess, waitForExit } from '../test/helpers/process.ts';
import { benchStore, fmt, mb, peakRss, removeStore, setupOrg, type BenchStore } from './common.ts';
import { benchEvent } from './data.ts';

const BACKLOG = Number(process.env.BENCH_OTEL_EVENTS ?? 100_000);
const STEADY_SECONDS = Number(process.env.BENCH_OTEL_SECONDS ?? 30);
/** The core scenario's HTTP ingest rate on this machine when it was not measured in the same run. */
const DEFAULT_CORE_RATE = 4650;

export async function otelBench({ coreIngestRate, dialect }: { coreIngestRate?: number; dialect: BenchStore['dialect'] }) {
  const coreRate = coreIngestRate ?? Number(process.env.BENCH_CORE_RATE ?? DEFAULT_CORE_RATE);
  const store = await benchStore('otel', dialect);
  const { key } = await setupOrg(store);
  const port = await freePort();
  const server = await startServerProcess({ ...store.env, PORT: String(port), AUDITUM_LOG_LEVEL: 'warn' });
  const receiver = await startOtlpReceiver();
  // Delivery lag per record: arrival at the receiver minus the entry's received_at (observedTimeUnixNano).
  const lags: number[] = [];
  let received = 0;
  let measureLag = false;
  const worst = { lag: 0, at: 0 };
  const steadyStartRef = { value: 0, wall: 0 };
  receiver.setResponder((request) => {
    received += request.records.length;
    if (measureLag) {
      const now = Date.now();
      for (const r of request.records) {
        const receivedAt = Number(BigInt(r.observedTimeUnixNano) / 1_000_000n);
        // Only entries received during the steady phase: the backlog's stragglers are not steady-state lag.
        if (receivedAt < steadyStartRef.wall) continue;
        const lag = now - receivedAt;
        lags.push(lag);
        if (lag > worst.lag) Object.assign(worst, { lag, at: (performance.now() - steadyStartRef.value) / 1000 });
      }
    }
    return { status: 200 };
  });
  // The receiver keeps what it decoded; drop it as we go so the bench process stays small.
  const forget = setInterval(() => {
    receiver.requests.length = 0;
    receiver.accepted.length = 0;
  }, 1000);
  const api = async (method: string, path: string, body: unknown) => {
    const res = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const waitForReceived = async (count: number, timeoutMs: number) => {
    const deadline = performance.now() + timeoutMs;
    while (received < count) {
      if (performance.now() > deadline) throw new Error(`only ${received} of ${count} records arrived`);
      await sleep(20);
    }
  };

  // 1. A backlog of BACKLOG entries, then export configured to backfill all of them.
  const startedAt = new Date(Date.now() - 1000).toISOString();
  const now = Date.now();
  for (let i = 0; i < BACKLOG; i += 500) {
    await api('POST', '/v1/events', { events: Array.from({ length: Math.min(500, BACKLOG - i) }, (_, k) => benchEvent(i + k, now, 3600_000, BACKLOG)) });
  }
  const t0 = performance.now();
  await api('PUT', '/v1/otel-export', { endpoint_url: receiver.url, max_batch_size: 1000, protocol: 'http/protobuf', enabled: true, start: startedAt });
  await waitForReceived(BACKLOG, 600_000);
  const drainRate = BACKLOG / ((performance.now() - t0) / 1000);

  // 2. Steady ingest at half the core rate, 250 events per request, paced by the clock.
  await waitForReceived(BACKLOG + 1, 10_000); // the otel_export.configured entry
  const rate = coreRate / 2;
  const batch = 250;
  const total = Math.round(rate * STEADY_SECONDS);
  const before = received;
  measureLag = true;
  const steadyStart = performance.now();
  steadyStartRef.value = steadyStart;
  steadyStartRef.wall = Date.now();
  // Requests go out on schedule without waiting for earlier ones (at most 16 in flight), like independent clients.
  const inFlight = new Set<Promise<unknown>>();
  let sent = 0;
  while (sent < total) {
    const due = steadyStart + (sent / rate) * 1000;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    if (inFlight.size >= 16) await Promise.race(inFlight);
    const count = Math.min(batch, total - sent);
    const request = api('POST', '/v1/events', { events: Array.from({ length: count }, (_, k) => benchEvent(sent + k, Date.now(), 1000, total)) });
    inFlight.add(request);
    void request.finally(() => inFlight.delete(request));
    sent += count;
  }
  await Promise.all(inFlight);
  const achieved = total / ((performance.now() - steadyStart) / 1000);
  await waitForReceived(before + total, 60_000);
  clearInterval(forget);
  lags.sort((a, b) => a - b);
  const p = (q: number) => lags[Math.min(lags.length - 1, Math.floor(q * lags.length))]!;
  const rss = peakRss(server.child.pid!);
  server.child.kill('SIGTERM');
  await waitForExit(server.child);
  await receiver.stop();
  removeStore(store);

  console.log(`\nOTLP export to a loopback receiver (${dialect}) (http/protobuf, batches of 1000)`);
  console.log(`  backlog of ${fmt(BACKLOG)} drained at:  ${fmt(drainRate)} records/s  (core HTTP ingest ${fmt(coreRate)} events/s; ratio ${fmt(drainRate / coreRate, 2)}x, target >= 1x)`);
  console.log(`  steady ingest at ${fmt(achieved)} events/s for ${STEADY_SECONDS} s: lag p50 ${fmt(p(0.5))} ms, p95 ${fmt(p(0.95))} ms, max ${fmt(worst.lag)} ms (at ${fmt(worst.at, 1)} s)  (target < 2,000 ms)`);
  console.log(`  peak server RSS: ${mb(rss)}`);
}

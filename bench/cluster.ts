/**
 * `BENCH_ONLY=cluster`: HTTP ingest with 1, 2 and 3 servers on one PostgreSQL (the same clients,
 * requests round-robin over the servers), with OTLP delivery and alert evaluation spread over
 * them. A burst at full speed gives the throughput; a steady phase at half the single-server rate
 * gives the delivery lag and the alert latency (webhook arrival after the alerting entry's
 * acknowledgement). Every run counts what was stored against what was acknowledged and verifies.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiCall, clusterServers, removeCluster, seedOrgs, startClusterServer, type ClusterServer } from '../test/helpers/cluster.ts';
import { startOtlpReceiver, waitFor } from '../test/helpers/otlp-receiver.ts';
import { startWebhookReceiver } from '../test/helpers/webhook-receiver.ts';
import { benchStore, fmt, removeStore } from './common.ts';
import { benchEvent } from './data.ts';
import pg from 'pg';

const EVENTS = Number(process.env.BENCH_CLUSTER_EVENTS ?? 60_000);
const SIZES = (process.env.BENCH_CLUSTER_SERVERS ?? '1,2,3').split(',').map(Number);
const ORGS = ['acme', 'globex', 'initech', 'umbrella'];
const BATCH = 500;
const CLIENTS = 6;
const STEADY_SECONDS = Number(process.env.BENCH_CLUSTER_STEADY_SECONDS ?? 20);
const ALERTING_TYPE = 'secret.exported';

interface ClusterResult {
  servers: number;
  rate: number;
  lost: number;
  otelLag: { p50: number; p95: number };
  drainSeconds: number;
  alert: { p50: number; p95: number; fired: number; expected: number };
  failures: string[];
  steadyRate: number;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

async function runCluster(size: number, singleRate: number | undefined): Promise<ClusterResult> {
  const store = await benchStore(`cluster_${size}`, 'postgres');
  const keys = await seedOrgs(store.databaseUrl!, ORGS, store.env);
  const otlp = await startOtlpReceiver();
  const hooks = await startWebhookReceiver();
  const servers = await clusterServers(size, { ...store.env, AUDITUM_LOG_LEVEL: 'warn', AUDITUM_OUTBOUND_ALLOW: '127.0.0.1' });
  await Promise.all(servers.map(startClusterServer));
  const call = (server: ClusterServer, org: string, method: string, path: string, body?: unknown) =>
    apiCall(server, keys.get(org)!, method, path, body);

  // Delivery lag per record: arrival minus the entry's received_at (observedTimeUnixNano).
  const otelLags: number[] = [];
  let measuring = false;
  otlp.setResponder((request) => {
    const now = Date.now();
    if (measuring) for (const r of request.records) otelLags.push(now - Number(BigInt(r.observedTimeUnixNano) / 1_000_000n));
    return { status: 200 };
  });
  const forget = setInterval(() => {
    otlp.requests.length = 0;
    otlp.accepted.length = 0;
  }, 1000);
  // Caught up: every organization's entries all delivered (the default rules fire too, so entries
  // are counted from the chain heads), and every alert of the bench's rule at the webhook.
  const caughtUp = async () => {
    for (const org of ORGS) if ((await call(servers[0]!, org, 'GET', '/v1/cluster')).body.lag[0].otel !== 0) return false;
    return true;
  };
  for (const org of ORGS) {
    const server = servers[ORGS.indexOf(org) % size]!;
    for (const [path, method, body] of [
      ['/v1/otel-export', 'PUT', { endpoint_url: otlp.url, enabled: true, max_batch_size: 1000 }],
      ['/v1/alert-webhook', 'PUT', { url: `${hooks.url}/${org}`, enabled: true }],
      ['/v1/alert-rules', 'POST', { name: 'exports', filter: { type: ALERTING_TYPE }, condition: { type: 'any' }, cooldown_minutes: 0 }],
    ] as const) {
      const res = await call(server, org, method, path, body);
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    }
  }
  await waitFor('the configuration entries delivered', caughtUp, 30_000);

  // Phase 1, throughput: batches as fast as the clients can send them. Phase 2, latency: a steady
  // rate every configuration can sustain (half the single-server rate), with the lags measured.
  const ackedAt = new Map<string, number>();
  let batchNo = 0;
  const makeBodies = (count: number) => {
    const now = Date.now();
    const base = batchNo * BATCH;
    const bodies: Array<{ org: string; alertId: string; body: string }> = [];
    for (let i = 0; i < count; i += BATCH, batchNo++) {
      const org = ORGS[batchNo % ORGS.length]!;
      const alertId = `alert-${org}-${batchNo}`;
      const events = Array.from({ length: Math.min(BATCH, count - i) }, (_, k) => benchEvent(base + i + k, now, 3600_000, base + count));
      events[0] = { ...events[0], id: alertId, type: ALERTING_TYPE };
      bodies.push({ org, alertId, body: JSON.stringify({ events }) });
    }
    return bodies;
  };
  const ingest = async (bodies: ReturnType<typeof makeBodies>, eventsPerSecond?: number) => {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < bodies.length) {
          const n = next++;
          const due = eventsPerSecond ? started + ((n * BATCH) / eventsPerSecond) * 1000 : 0;
          if (due > performance.now()) await sleep(due - performance.now());
          const { org, alertId, body } = bodies[n]!;
          const server = servers[n % size]!;
          const headers = { authorization: `Bearer ${keys.get(org)}`, 'content-type': 'application/json' };
          const res = await fetch(`${server.url}/v1/events`, { method: 'POST', headers, body });
          if (res.status !== 201) throw new Error(`ingest failed: ${res.status} ${await res.text()}`);
          await res.arrayBuffer();
          ackedAt.set(alertId, Date.now());
        }
      }),
    );
    return (performance.now() - started) / 1000;
  };
  const ours = () => hooks.accepted().filter((h) => h.body?.rule?.name === 'exports');
  const burst = makeBodies(EVENTS);
  const seconds = await ingest(burst);
  const ingestEnd = performance.now();
  await waitFor('every entry delivered', caughtUp, 300_000);
  const drainSeconds = (performance.now() - ingestEnd) / 1000;
  await waitFor('every alert at the webhook', () => ours().length >= burst.length, 300_000);
  const steadyRate = (singleRate ?? EVENTS / seconds) / 2;
  const steadyEvents = Math.round(steadyRate * STEADY_SECONDS);
  const steady = makeBodies(steadyEvents);
  const firstSteadyHook = ours().length;
  measuring = true;
  await ingest(steady, steadyRate);
  await waitFor('every steady entry delivered', caughtUp, 120_000);
  await waitFor('every steady alert at the webhook', () => ours().length >= burst.length + steady.length, 120_000);
  measuring = false;
  clearInterval(forget);

  const alertLags = ours().slice(firstSteadyHook).map((h) => h.receivedAt - ackedAt.get(h.body.last_entry_id)!).sort((a, b) => a - b);
  otelLags.sort((a, b) => a - b);
  // Every acknowledged event stored once: the events sent, beside the configuration entries.
  const client = new pg.Client(store.databaseUrl);
  await client.connect();
  const counted = await client.query("SELECT count(*) AS n FROM events WHERE type <> 'alert.triggered'");
  await client.end();
  const lost = EVENTS + steadyEvents + ORGS.length * 3 - Number(counted.rows[0].n);
  const failures: string[] = [];
  for (const org of ORGS) {
    const check = await call(servers[size - 1]!, org, 'GET', '/v1/integrity/verify');
    if (check.body?.ok !== true) failures.push(`${org}: ${check.status} ${JSON.stringify(check.body)}`);
  }
  await removeCluster(servers);
  await otlp.stop();
  await hooks.stop();
  removeStore(store);
  return {
    servers: size,
    rate: EVENTS / seconds,
    lost,
    otelLag: { p50: quantile(otelLags, 0.5), p95: quantile(otelLags, 0.95) },
    drainSeconds,
    alert: { p50: quantile(alertLags, 0.5), p95: quantile(alertLags, 0.95), fired: ours().length, expected: burst.length + steady.length },
    steadyRate,
    failures,
  };
}

export async function clusterBench(): Promise<void> {
  console.log(`\n#### cluster: ${fmt(EVENTS)} events over ${ORGS.length} organizations, batches of ${BATCH}, ${CLIENTS} HTTP clients round-robin over the servers`);
  const results: ClusterResult[] = [];
  for (const size of SIZES) results.push(await runCluster(size, results[0]?.rate));
  const single = results.find((r) => r.servers === 1)?.rate;
  for (const r of results) {
    const ratio = single ? `${fmt(r.rate / single, 2)}x of 1 server${r.servers > 1 ? ' (goal >= 0.8x)' : ''}` : '';
    console.log(`  ${r.servers} server(s): ingest ${fmt(r.rate)} ev/s ${ratio}`);
    console.log(`    steady ${fmt(r.steadyRate)} ev/s for ${STEADY_SECONDS} s (half the single-server rate):`);
    console.log(`    OTLP lag p50 ${fmt(r.otelLag.p50)} ms, p95 ${fmt(r.otelLag.p95)} ms; after the burst, drained ${fmt(r.drainSeconds, 1)} s after its last ack`);
    console.log(`    alert latency p50 ${fmt(r.alert.p50)} ms, p95 ${fmt(r.alert.p95)} ms; alerts ${r.alert.fired} of ${r.alert.expected}`);
    console.log(`    acknowledged but not stored: ${r.lost} (goal 0); every chain verifies: ${r.failures.length ? `NO ${r.failures.join('; ')}` : 'yes'}`);
  }
}

/**
 * `npm run bench`: HTTP ingest vs the in-process storage baseline, full-text indexing cost,
 * the query suite's latency (the activity chart's histogram among it), and exports (time per format, peak RSS) at BENCH_EVENTS entries
 * (default 1,000,000). BENCH_ONLY=exports fills the data and runs only the export scenario;
 * BENCH_EXPORT_FORMATS=csv,jsonl picks formats.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { benchInputs, COMMON_TERM, RARE_TERM, RARE_TYPE } from './data.ts';
import { httpIngest } from './ingest.ts';
import { rawInsertLimit } from './raw-insert.ts';
import { freePort, startServerProcess, waitForExit } from '../test/helpers/process.ts';
import { benchStore, fmt, markAlertsCaughtUp, mb, openStore, peakRss, removeStore, setupOrg, storeSize, type BenchStore } from './common.ts';
import { otelBench } from './otel.ts';
import { clusterBench } from './cluster.ts';
import { searchBench } from './search.ts';
import { benchExports, printExportResults } from './exports.ts';

const TOTAL = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const INGEST = Math.min(TOTAL, Number(process.env.BENCH_INGEST_EVENTS ?? 200_000));
const BATCH = 500;
const CLIENTS = 4;
const SINGLE_CLIENTS = 32;
const SINGLE_EVENTS = Math.min(INGEST, Number(process.env.BENCH_SINGLE_EVENTS ?? 30_000));
const SPAN = 90 * 24 * 3600 * 1000;
const ONLY = process.env.BENCH_ONLY;
const EXPORT_FORMATS = (process.env.BENCH_EXPORT_FORMATS ?? 'csv,xlsx,jsonl').split(',').filter(Boolean);
const NOW = Date.now() - 60_000;
/** The HTTP ingest rate measured by the core scenario, which the OTLP scenario must keep up with. */
let lastHttpRate: number | undefined;

/** The figures compared across databases when the benchmark runs on both. */
interface Summary {
  dialect: BenchStore['dialect'];
  httpRate: number;
  baselineRate: number;
  indexRate: number;
  p95: Map<string, number>;
  single?: { rate: number; p99: number };
}

async function main(dialect: BenchStore['dialect']): Promise<Summary | undefined> {
  console.log(`\n#### ${dialect}: ${fmt(INGEST)} events for ingest, ${fmt(TOTAL)} for queries, batches of ${BATCH}, ${CLIENTS} HTTP clients, ${os.cpus().length} cores`);

  // 1. In-process baseline: the same rows straight into the storage module.
  const store = await benchStore('store', dialect);
  const { orgId, key } = await setupOrg(store);
  const { database, services } = await openStore(store);
  let baselineSeconds = 0;
  // BENCH_ONLY=ingest measures the write path alone: the baseline's rows are all it needs.
  const fill = ONLY === 'ingest' ? INGEST : TOTAL;
  for (let i = 0; i < fill; i += BATCH) {
    const inputs = benchInputs(i, Math.min(BATCH, fill - i), NOW, SPAN, TOTAL);
    const t0 = performance.now();
    await services.store.append(orgId, inputs);
    if (i < INGEST) baselineSeconds += (performance.now() - t0) / 1000;
    if (i === INGEST) console.log(`  baseline measured; filling to ${fmt(TOTAL)} entries...`);
    if (i > 0 && i % 1_000_000 === 0) console.log(`  ${fmt(i)} entries stored (${fmt(process.uptime(), 0)} s)`);
  }
  const baselineRate = INGEST / baselineSeconds;
  if (ONLY === 'exports') {
    // The server would otherwise spend its first minutes indexing, which is not what is measured here.
    await services.indexer.catchUp();
    await database.close();
    printExportResults(await benchExports(store, key, EXPORT_FORMATS));
    removeStore(store);
    return undefined;
  }

  // 2. HTTP ingest into a fresh store: batches, then single events (the way most applications send).
  const http = await httpIngest(dialect, { clients: CLIENTS, batch: BATCH, events: INGEST, now: NOW });
  lastHttpRate = http.rate;
  const single = await httpIngest(dialect, { clients: SINGLE_CLIENTS, batch: 1, events: SINGLE_EVENTS, now: NOW });
  console.log('\nIngest');
  console.log(`  HTTP (4 clients x 500/batch, ack after commit): ${fmt(http.rate)} events/s   peak server RSS ${mb(http.rss)}  (goal >= 20,000)`);
  console.log(`  HTTP single events (${SINGLE_CLIENTS} clients):             ${fmt(single.rate)} events/s   p50 ${fmt(single.p50, 1)} ms, p99 ${fmt(single.p99, 1)} ms   peak server RSS ${mb(single.rss)}  (goal >= 10,000, p99 < 50 ms)`);
  console.log(`  GET /healthz, the same ${SINGLE_CLIENTS} clients:             ${fmt(single.floorRate)} requests/s: single events at ${fmt(single.rate / single.floorRate, 2)}x of this machine's HTTP floor`);
  console.log(`  in-process storage baseline:                    ${fmt(baselineRate)} events/s`);
  console.log(`  ratio HTTP / baseline:                          ${fmt(http.rate / baselineRate, 2)}x  (target >= 0.5x)`);
  const raw = await rawInsertLimit(store, INGEST);
  console.log(`  raw driver, the same rows, primary key only:    ${fmt(raw.pkOnly)} rows/s; with the ${raw.indexes} secondary indexes: ${fmt(raw.allIndexes)} rows/s`);
  console.log(`  ratio HTTP batches / raw primary key only:      ${fmt(http.rate / raw.pkOnly, 2)}x  (goal >= 0.35x)`);
  if (ONLY === 'ingest') {
    await database.close();
    removeStore(store);
    return { dialect, httpRate: http.rate, baselineRate, indexRate: NaN, p95: new Map(), single };
  }

  // 3. Full-text indexing cost, off the write path.
  const t0 = performance.now();
  await services.indexer.catchUp();
  const trigramSeconds = (performance.now() - t0) / 1000;
  // Fresh planner statistics after the bulk load, as the engine would have them in steady use.
  await database.adapter.optimize(database.db);
  console.log('\nFull-text index (built in the background, never in the ingest transaction)');
  console.log(`  trigram (substring search):  ${fmt((trigramSeconds / TOTAL) * 1e6, 1)} us/event  (${fmt(TOTAL / trigramSeconds)} events/s)`);
  console.log(`  storage insert without FTS:  ${fmt(1e6 / baselineRate, 1)} us/event`);
  // The fill went straight into the store, past the server: mark the alert evaluator caught up, as
  // a server that had ingested these entries would be, so the queries do not race a 1M-entry catch-up.
  await markAlertsCaughtUp(database, orgId, (await services.store.head(orgId)).lastSeq);
  await database.close();

  // 4. Query suite over HTTP at TOTAL entries.
  const port = await freePort();
  const server = await startServerProcess({ ...store.env, PORT: String(port), AUDITUM_LOG_LEVEL: 'warn' }, { healthTimeoutMs: 180_000 });
  const get = async (query: string, path = '/v1/events') => {
    const res = await fetch(`${server.url}${path}?${query}`, { headers: { authorization: `Bearer ${key}` } });
    if (res.status !== 200) throw new Error(`${query}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { events?: unknown[]; buckets?: unknown[]; next_cursor: string | null };
  };
  let cursor: string | null = null;
  for (let page = 1; page < 100; page++) cursor = (await get(`limit=50${cursor ? `&cursor=${cursor}` : ''}`)).next_cursor;
  const HISTOGRAM = '/v1/events/histogram';
  const suite: Array<[string, string, string?]> = [
    ['newest page', 'limit=50'],
    ['type + 30d', 'type=login.failure&range=30d'],
    ['actor', 'actor=user42@example.com'],
    ['result=failed', 'result=failed'],
    [`rare q (${RARE_TERM})`, `q=${RARE_TERM}`],
    [`common q (${COMMON_TERM})`, `q=${COMMON_TERM}`],
    ['two words q', `q=${COMMON_TERM}+alpha`],
    ['common q + count', `q=${COMMON_TERM}&include_count=true`],
    // The page always asks with a range (24 hours unless changed).
    ['common q + count + 7d', `q=${COMMON_TERM}&include_count=true&range=7d`],
    ['rare type', `type=${RARE_TYPE}`],
    ['target', 'target_type=flow&target_id=flow-42'],
    ['ip', 'ip=10.42.10.39'],
    ['type prefix + failed', 'type=flow.*&result=failed'],
    ['actor + type + 7d', 'actor=user42@example.com&type=user.login&range=7d'],
    ['page 100 via cursor', `limit=50&cursor=${cursor}`],
    // The activity chart: 60 buckets of 12 hours over 30 days.
    ['chart 30d, type', 'type=login.failure&range=30d', HISTOGRAM],
    ['chart 30d, result=failed', 'result=failed&range=30d', HISTOGRAM],
    ['chart 30d, every entry', 'range=30d', HISTOGRAM],
    ['chart 7d, actor (counted)', 'actor=user42@example.com&range=7d', HISTOGRAM],
    ['chart 24h, common q', `q=${COMMON_TERM}&range=24h`, HISTOGRAM],
  ];
  console.log(`\nQueries at ${fmt(TOTAL)} entries (HTTP, 50 per page, 40 runs after 3 warm-ups)`);
  const p95 = new Map<string, number>();
  for (const [name, query, path] of suite) {
    const times: number[] = [];
    let rows = 0;
    for (let run = 0; run < 43; run++) {
      const t = performance.now();
      const answer = await get(query, path);
      rows = (answer.events ?? answer.buckets)!.length;
      if (run >= 3) times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const p = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
    const goal = path === HISTOGRAM ? 200 : 50;
    console.log(`  ${name.padEnd(26)} p50 ${fmt(p(0.5), 1).padStart(6)} ms   p95 ${fmt(p(0.95), 1).padStart(6)} ms   (${rows} ${path ? 'buckets' : 'rows'})  (goal p95 < ${goal} ms)`);
    p95.set(name, p(0.95));
  }
  const queryRss = peakRss(server.child.pid!);
  server.child.kill('SIGTERM');
  await waitForExit(server.child);
  console.log(`  peak server RSS while querying: ${mb(queryRss)}  (goal < 300 MB)`);
  const size = await storeSize(store);
  console.log(`  stored size: ${mb(size)} (${fmt(size / TOTAL, 0)} bytes per entry, ${mb((size / TOTAL) * 1e6)} per million entries)`);

  // 5. Exports of every entry, per format.
  printExportResults(await benchExports(store, key, EXPORT_FORMATS));
  removeStore(store);
  return { dialect, httpRate: http.rate, baselineRate, indexRate: TOTAL / trigramSeconds, p95, single };
}

/** Side by side, with PostgreSQL's figures as a ratio of SQLite's measured in the same run. */
function printComparison(summaries: Summary[]): void {
  const [sqlite, postgres] = [summaries.find((s) => s.dialect === 'sqlite'), summaries.find((s) => s.dialect === 'postgres')];
  if (!sqlite || !postgres) return;
  console.log('\nPostgreSQL beside SQLite (same machine, same run)');
  const row = (name: string, a: number, b: number, unit: string, goal = '') =>
    console.log(`  ${name.padEnd(28)} sqlite ${fmt(a, 1).padStart(9)} ${unit}   postgres ${fmt(b, 1).padStart(9)} ${unit}   ${fmt(b / a, 2)}x ${goal}`);
  row('HTTP batch ingest', sqlite.httpRate, postgres.httpRate, 'ev/s', '(goal >= 0.8x)');
  row('in-process store', sqlite.baselineRate, postgres.baselineRate, 'ev/s');
  if (sqlite.single && postgres.single) {
    row('HTTP single events', sqlite.single.rate, postgres.single.rate, 'ev/s');
    row('p99 single event', sqlite.single.p99, postgres.single.p99, 'ms', '(goal < 50 ms)');
  }
  if (!Number.isNaN(sqlite.indexRate)) row('full-text indexing', sqlite.indexRate, postgres.indexRate, 'ev/s');
  for (const [name, ms] of sqlite.p95) row(`p95 ${name}`, ms, postgres.p95.get(name) ?? NaN, 'ms', name.startsWith('chart') ? '(goal < 200 ms)' : '(goal < 50 ms)');
}

// BENCH_DB=sqlite (default) | postgres | both; BENCH_ONLY=core | ingest | exports | otel | search | cluster runs one scenario
// (core includes exports; cluster runs on PostgreSQL whatever BENCH_DB says, once).
const dialects = (process.env.BENCH_DB === 'both' ? ['sqlite', 'postgres'] : [process.env.BENCH_DB ?? 'sqlite']) as Array<BenchStore['dialect']>;
const summaries: Summary[] = [];
for (const dialect of dialects) {
  if (!ONLY || ONLY === 'core' || ONLY === 'exports' || ONLY === 'ingest') {
    const summary = await main(dialect);
    if (summary) summaries.push(summary);
  }
  if (!ONLY || ONLY === 'otel') await otelBench({ coreIngestRate: lastHttpRate, dialect });
  if (!ONLY || ONLY === 'search') await searchBench(dialect);
  if ((!ONLY && dialect === 'postgres') || (ONLY === 'cluster' && dialect === dialects[0])) await clusterBench();
}
printComparison(summaries);

/**
 * `BENCH_ONLY=search`: search in a small organization beside a big one, against the same search
 * with the small organization alone (both measured in this run), for common, two-word, rare and
 * counted queries; then sustained ingest at full speed with the search lag sampled over time.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '../test/helpers/otlp-receiver.ts';
import { freePort, startServerProcess, waitForExit } from '../test/helpers/process.ts';
import { benchStore, fmt, openStore, removeStore, type BenchStore } from './common.ts';
import { benchEvent, benchInputs, COMMON_TERM, RARE_TERM } from './data.ts';
import { leanClient } from './http-client.ts';

const BIG = Number(process.env.BENCH_SEARCH_BIG_EVENTS ?? 200_000);
const SMALL = 2000;
const SUSTAIN_SECONDS = Number(process.env.BENCH_SUSTAIN_SECONDS ?? 60);
const SPAN = 30 * 24 * 3600 * 1000;
const QUERIES: Array<[string, string]> = [
  [`common word (${COMMON_TERM})`, `q=${COMMON_TERM}`],
  ['two words (checkout alpha)', `q=${COMMON_TERM}%20alpha`],
  [`rare word (${RARE_TERM})`, `q=${RARE_TERM}`],
  ['common word with include_count', `q=${COMMON_TERM}&include_count=true`],
];

/** A store holding the small organization, and beside it the big one unless `alone`. */
async function tenants(dialect: BenchStore['dialect'], alone: boolean) {
  const store = await benchStore(alone ? 'search_alone' : 'search_tenants', dialect);
  const { database, services } = await openStore(store);
  const now = Date.now() - 60_000;
  const fill = async (slug: string, count: number) => {
    const org = await services.orgs.create(slug);
    for (let i = 0; i < count; i += 500) await services.store.append(org.id, benchInputs(i, Math.min(500, count - i), now, SPAN, count));
    return (await services.apiKeys.create(org.id, { scopes: ['admin'] })).key;
  };
  const key = await fill('small', SMALL);
  const keys = [key];
  if (!alone) keys.push(await fill('big', BIG));
  await services.indexer.catchUp();
  await database.adapter.optimize(database.db);
  await database.close();
  return { store, key, keys };
}

async function p95s(store: BenchStore, key: string, keys: string[]): Promise<Map<string, number>> {
  const port = await freePort();
  const server = await startServerProcess({ ...store.env, PORT: String(port), AUDITUM_LOG_LEVEL: 'warn' });
  const client = leanClient(server.url, 1);
  // A server starting on loaded data first evaluates the alert rules over it: measure once that is done.
  const settled = async () => {
    for (const k of keys) {
      const lag = JSON.parse((await client.send('GET', '/v1/cluster', { authorization: `Bearer ${k}` })).text).lag[0];
      if (lag.alerts > 0 || lag.search > 0) return false;
    }
    return true;
  };
  await waitFor('the server idle', settled, 600_000);
  const out = new Map<string, number>();
  for (const [name, query] of QUERIES) {
    const times: number[] = [];
    for (let run = 0; run < 43; run++) {
      const t = performance.now();
      const res = await client.send('GET', `/v1/events?${query}`, { authorization: `Bearer ${key}` });
      if (res.status !== 200) throw new Error(`${query}: ${res.status} ${res.text}`);
      if (run >= 3) times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    out.set(name, times[Math.floor(0.95 * times.length)]!);
  }
  client.close();
  server.child.kill('SIGTERM');
  await waitForExit(server.child);
  return out;
}

/** Full-speed batch ingest for SUSTAIN_SECONDS; every 5 s, how far the search index is behind. */
async function sustained(dialect: BenchStore['dialect']) {
  const store = await benchStore('sustain', dialect);
  const { database, services } = await openStore(store);
  const org = await services.orgs.create('steady');
  const key = (await services.apiKeys.create(org.id, { scopes: ['admin'] })).key;
  await database.close();
  const port = await freePort();
  const server = await startServerProcess({ ...store.env, PORT: String(port), AUDITUM_LOG_LEVEL: 'warn' });
  const client = leanClient(server.url, 5);
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const started = performance.now();
  let sent = 0;
  let stop = false;
  const senders = Array.from({ length: 4 }, async () => {
    while (!stop) {
      const events = Array.from({ length: 500 }, (_, k) => benchEvent(sent + k, Date.now(), 60_000, sent + 500));
      sent += 500;
      const res = await client.send('POST', '/v1/events', headers, JSON.stringify({ events }));
      if (res.status !== 201) throw new Error(`ingest: ${res.status} ${res.text}`);
    }
  });
  const samples: string[] = [];
  let worst = 0;
  for (let at = 5; at <= SUSTAIN_SECONDS; at += 5) {
    await sleep(started + at * 1000 - performance.now());
    const status = JSON.parse((await client.send('GET', '/v1/cluster', { authorization: `Bearer ${key}` })).text);
    const rate = sent / ((performance.now() - started) / 1000);
    const behindSeconds = status.lag[0].search / rate;
    worst = Math.max(worst, behindSeconds);
    samples.push(`${at}s ${fmt(behindSeconds, 1)}s`);
  }
  stop = true;
  await Promise.all(senders);
  const rate = sent / ((performance.now() - started) / 1000);
  client.close();
  server.child.kill('SIGTERM');
  await waitForExit(server.child);
  removeStore(store);
  return { rate, samples, worst };
}

export async function searchBench(dialect: BenchStore['dialect']): Promise<void> {
  console.log(`\n#### search (${dialect}): a small organization (${fmt(SMALL)} entries) beside a big one (${fmt(BIG)}), p95 of 40 runs`);
  const beside = await tenants(dialect, false);
  const alone = await tenants(dialect, true);
  const withBig = await p95s(beside.store, beside.key, beside.keys);
  const withoutBig = await p95s(alone.store, alone.key, alone.keys);
  for (const [name] of QUERIES) {
    const a = withBig.get(name)!;
    const b = withoutBig.get(name)!;
    console.log(`  ${name.padEnd(32)} beside the big one ${fmt(a, 1).padStart(6)} ms   alone ${fmt(b, 1).padStart(6)} ms   ${fmt(a / b, 2)}x (goal within 2x)`);
  }
  removeStore(beside.store);
  removeStore(alone.store);
  const sustain = await sustained(dialect);
  console.log(`\n  sustained ingest ${fmt(sustain.rate)} ev/s for ${SUSTAIN_SECONDS} s; search lag (seconds of ingest behind): ${sustain.samples.join(', ')}`);
  console.log(`  worst search lag ${fmt(sustain.worst, 1)} s  (goal < 5 s after 60 s)`);
}

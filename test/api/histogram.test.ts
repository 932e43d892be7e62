import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sampleEvent, startTestApp, type Session, type TestApp, type TestOrg } from '../helpers/test-app.ts';

const HOUR = 3_600_000;
const FROM = Date.parse('2026-11-10T00:00:00.000Z');
/** Entries spread over 7 days, at hour `h` past FROM (plus minutes), with types and results in turn. */
const TYPES = ['user.login', 'login.failure', 'api_key.used'];
const RESULTS = ['success', 'failed', 'denied', 'success'];
const seeded = Array.from({ length: 300 }, (_, i) => ({
  at: FROM + Math.floor((i * 7 * 24 * HOUR) / 300) + (i % 7) * 60_000,
  type: TYPES[i % 3]!,
  result: RESULTS[i % 4]!,
  actor: `u${i % 5}`,
}));

describe('GET /v1/events/histogram', () => {
  let t: TestApp;
  let other: TestOrg;
  let member: Session;
  const range = `from=${new Date(FROM).toISOString()}&to=${new Date(FROM + 7 * 24 * HOUR).toISOString()}`;

  /** What the buckets must hold, counted here from the seeded entries, not by the server's code. */
  function expected(width: number, keep: (e: (typeof seeded)[number]) => boolean) {
    const out = new Map<number, Record<string, number>>();
    for (const e of seeded.filter(keep)) {
      const start = Math.floor(e.at / width) * width;
      const counts = out.get(start) ?? {};
      counts[e.result] = (counts[e.result] ?? 0) + 1;
      out.set(start, counts);
    }
    return out;
  }
  async function check(query: string, keep: (e: (typeof seeded)[number]) => boolean) {
    const res = await t.request('GET', `/v1/events/histogram?${range}&${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { buckets, interval_ms: width } = res.body;
    assert.equal(width, 3 * HOUR, '7 days in at most 60 buckets: 3 hours each');
    assert.equal(buckets.length, 56);
    assert.equal(buckets[0].start, new Date(FROM).toISOString());
    const want = expected(width, keep);
    for (const b of buckets) {
      assert.equal(Date.parse(b.end) - Date.parse(b.start), width);
      assert.deepEqual(b.counts, want.get(Date.parse(b.start)) ?? {}, `bucket ${b.start} (${query})`);
    }
    return res.body;
  }

  before(async () => {
    t = await startTestApp();
    other = await t.createOrg('globex');
    await t.createUser(t.org.id, 'member@acme.test', 'member');
    member = await t.quietSession('member@acme.test');
    const events = seeded.map((e) => sampleEvent({ type: e.type, result: e.result, actor: { id: e.actor }, occurred_at: new Date(e.at).toISOString() }));
    assert.equal((await t.request('POST', '/v1/events', { body: { events } })).status, 201);
    const noise = seeded.slice(0, 50).map((e) => sampleEvent({ type: e.type, result: 'failed', occurred_at: new Date(e.at).toISOString() }));
    assert.equal((await t.request('POST', '/v1/events', { key: other.key, body: { events: noise } })).status, 201);
  });
  after(() => t.close());

  it('counts per bucket and result with type and result filters, before and after indexing, one organization only', async () => {
    // Straight after ingest the entries may not be indexed: the unindexed tail is counted as it stands.
    await check('type=login.failure', (e) => e.type === 'login.failure');
    await t.app.services.indexer.catchUp();
    await check('', () => true);
    await check('type=login.failure', (e) => e.type === 'login.failure');
    await check('result=failed&result=denied', (e) => e.result === 'failed' || e.result === 'denied');
    await check('type=login.*&result=success', (e) => e.type.startsWith('login.') && e.result === 'success');
  });

  it('counts entries one by one for other filters (actor, text), and says when it capped', async () => {
    const body = await check('actor=u3', (e) => e.actor === 'u3');
    assert.equal(body.capped, undefined);
    await check('q=api_key', (e) => e.type === 'api_key.used');
  });

  it('picks minutes for a day and days for a month', async () => {
    const day = await t.request('GET', `/v1/events/histogram?from=${new Date(FROM).toISOString()}&to=${new Date(FROM + 24 * HOUR).toISOString()}`);
    assert.equal(day.body.interval_ms, 30 * 60_000);
    assert.equal(day.body.buckets.length, 48);
    const month = await t.request('GET', `/v1/events/histogram?from=${new Date(FROM).toISOString()}&to=${new Date(FROM + 30 * 24 * HOUR).toISOString()}`);
    assert.equal(month.body.interval_ms, 12 * HOUR);
    assert.equal(month.body.buckets.length, 60);
    const total = month.body.buckets.reduce((n: number, b: any) => n + Object.values<number>(b.counts).reduce((a, c) => a + c, 0), 0);
    assert.equal(total, seeded.length);
  });

  it('counts off what the retention purge removes', async () => {
    await t.app.services.indexer.catchUp();
    // Seven days keep only the entries recorded now (the CLI's and the sign-ins'); the seeded ones are older.
    await t.app.services.retention.update(t.org.id, { retention_days: 7 }, { id: 'test', type: 'system' });
    const purged = await t.app.services.retention.run(t.org.id);
    assert.ok(purged.purged >= seeded.length, JSON.stringify(purged));
    await check('', () => false);
    await check('type=login.failure', () => false);
  });

  it('refuses members and bad parameters', async () => {
    assert.equal((await t.request('GET', `/v1/events/histogram?${range}`, { as: member })).status, 403);
    assert.equal((await t.request('GET', '/v1/events/histogram', { key: null })).status, 401);
    const bad = await t.request('GET', `/v1/events/histogram?${range}&buckets=0`);
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /buckets/);
    assert.equal((await t.request('GET', '/v1/events/histogram?result=maybe')).status, 400);
  });
});

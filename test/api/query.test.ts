import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventInputSchema } from '../../src/events/event.schemas.ts';
import { sampleEvent, startTestApp, type TestApp, type TestOrg } from '../helpers/test-app.ts';

const HOUR = 3_600_000;
const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();

describe('GET /v1/events', () => {
  let t: TestApp;
  let other: TestOrg;
  before(async () => {
    // A slow indexer, so the tests below control when the full-text index catches up.
    t = await startTestApp({ searchIndexIntervalMs: 60_000 });
    other = await t.createOrg('other-org');
    const events = [
      sampleEvent({ type: 'user.login', actor: { id: 'u-ada', email: 'ada@example.com' }, occurred_at: iso(1 * HOUR), ip: '10.0.0.1' }),
      sampleEvent({ type: 'login.failure', result: 'failed', actor: { id: 'u-bob', email: 'bob@example.com' }, occurred_at: iso(2 * HOUR), ip: '10.0.0.2' }),
      sampleEvent({ type: 'flow.created', actor: { id: 'u-ada', email: 'ada@example.com' }, project: { id: 'p1' }, target: { type: 'flow', id: 'f1', name: 'Nightly' }, occurred_at: iso(3 * HOUR), metadata: { color: 'ultramarine' } }),
      sampleEvent({ type: 'flow.deleted', result: 'denied', actor: { id: 'k1', type: 'api_key' }, project: { id: 'p2' }, occurred_at: iso(3 * 24 * HOUR), request: { method: 'DELETE', path: '/flows/f9', response: { error: 'forbidden-zebra' } } }),
      sampleEvent({ type: 'user.role_changed', category: 'custom', actor: { id: 'u-cy', email: 'cy@example.com' }, occurred_at: iso(20 * 24 * HOUR), action: 'Made Bob an Owner' }),
    ];
    const res = await t.request('POST', '/v1/events', { body: { events } });
    assert.equal(res.status, 201);
    await t.request('POST', '/v1/events', { key: other.key, body: sampleEvent({ type: 'user.login', actor: { id: 'u-ada', email: 'ada@example.com' }, metadata: { color: 'ultramarine' } }) });
    await t.app.services.indexer.catchUp();
  });
  after(() => t.close());

  async function types(query: string, key?: string): Promise<string[]> {
    const res = await t.request('GET', `/v1/events?${query}`, key ? { key } : {});
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.events.map((e: { type: string }) => e.type);
  }

  it('lists newest first by occurred_at', async () => {
    assert.deepEqual(await types(''), ['user.login', 'login.failure', 'flow.created', 'flow.deleted', 'user.role_changed']);
  });

  it('filters by each field, combined with AND', async () => {
    assert.deepEqual(await types('type=flow.created&type=user.login'), ['user.login', 'flow.created']);
    assert.deepEqual(await types('type=flow.*'), ['flow.created', 'flow.deleted']);
    assert.deepEqual(await types('type=user.*&type=login.failure'), ['user.login', 'login.failure', 'user.role_changed']);
    assert.deepEqual(await types('category=custom'), ['user.role_changed']);
    assert.deepEqual(await types('category=user&category=data'), ['user.login', 'flow.created', 'flow.deleted']);
    assert.deepEqual(await types('actor=ada@example.com'), ['user.login', 'flow.created']);
    assert.deepEqual(await types('actor=u-bob'), ['login.failure']);
    assert.deepEqual(await types('actor_type=api_key'), ['flow.deleted']);
    assert.deepEqual(await types('target_type=flow&target_id=f1'), ['flow.created']);
    assert.deepEqual(await types('project=p2'), ['flow.deleted']);
    assert.deepEqual(await types('result=failed&result=denied'), ['login.failure', 'flow.deleted']);
    assert.deepEqual(await types('ip=10.0.0.2'), ['login.failure']);
    assert.deepEqual(await types('actor=ada@example.com&type=flow.created&range=24h'), ['flow.created']);
  });

  it('matches an actor by id or by email, merging both in time order without repeats, page by page', async () => {
    const org = await t.createOrg('actors');
    const who = 'dee@example.com';
    const events = Array.from({ length: 30 }, (_, i) =>
      sampleEvent({
        action: `a${i}`,
        occurred_at: new Date(Date.now() - (i + 1) * 60_000).toISOString(),
        // By id, by email, by both (the same entry must come once), and someone else.
        actor: [{ id: who }, { id: `u-${i}`, email: who }, { id: who, email: who }, { id: 'other', email: 'other@example.com' }][i % 4]!,
      }),
    );
    assert.equal((await t.request('POST', '/v1/events', { key: org.key, body: { events } })).status, 201);
    const expected = events.filter((_, i) => i % 4 !== 3).map((e) => e.action);
    const seen: string[] = [];
    let cursor = '';
    for (let page = 0; page < 10; page++) {
      const res = await t.request('GET', `/v1/events?actor=${who}&limit=7${cursor ? `&cursor=${cursor}` : '&include_count=true'}`, { key: org.key });
      assert.equal(res.status, 200);
      if (page === 0) assert.deepEqual(res.body.count, { value: expected.length, capped: false });
      seen.push(...res.body.events.map((e: { action: string }) => e.action));
      if (!res.body.next_cursor) break;
      cursor = res.body.next_cursor;
    }
    assert.deepEqual(seen, expected);
  });

  it('filters by time range', async () => {
    assert.deepEqual(await types('range=24h'), ['user.login', 'login.failure', 'flow.created']);
    assert.deepEqual(await types('range=7d'), ['user.login', 'login.failure', 'flow.created', 'flow.deleted']);
    assert.equal((await types('range=30d')).length, 5);
    assert.deepEqual(await types(`from=${iso(2.5 * HOUR)}&to=${iso(1.5 * HOUR)}`), ['login.failure']);
  });

  it('searches words and substrings across the payload, case-insensitively', async () => {
    assert.deepEqual(await types('q=ULTRAMARINE'), ['flow.created']);
    assert.deepEqual(await types('q=marin'), ['flow.created']);
    assert.deepEqual(await types('q=zebra'), ['flow.deleted'], 'response body is searched');
    assert.deepEqual(await types('q=/flows/f9'), ['flow.deleted'], 'request path is searched');
    assert.deepEqual(await types('q=nightly'), ['flow.created'], 'target name is searched');
    assert.deepEqual(await types('q=bob%20owner'), ['user.role_changed'], 'every word must match');
    assert.deepEqual(await types('q=f1'), ['flow.created'], 'short words are matched by scanning');
    assert.deepEqual(await types('q=nothing-matches-this'), []);
    assert.deepEqual(await types(`q=${encodeURIComponent("'; DROP TABLE events; --")}`), []);
    assert.deepEqual(await types(`q=${encodeURIComponent('"%_\\')}`), []);
  });

  it('finds events the full-text index has not reached yet', async () => {
    const res = await t.request('POST', '/v1/events', { body: sampleEvent({ type: 'flow.executed', metadata: { note: 'ultramarine again' } }) });
    assert.equal(res.status, 201);
    assert.deepEqual(await types('q=ultramarine'), ['flow.executed', 'flow.created']);
    await t.app.services.indexer.catchUp();
    assert.deepEqual(await types('q=ultramarine'), ['flow.executed', 'flow.created']);
  });

  it('never shows another organization its entries', async () => {
    const mine = await t.request('GET', '/v1/events');
    const theirs = await t.request('GET', '/v1/events', { key: other.key });
    assert.equal(theirs.body.events.length, 1);
    assert.equal(theirs.body.events[0].org_id, other.id);
    assert.ok(mine.body.events.every((e: { org_id: string }) => e.org_id === t.org.id));
    const res = await t.request('GET', `/v1/events/${mine.body.events[0].id}`, { key: other.key });
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'not_found');
  });

  it('rejects bad parameters with 400', async () => {
    for (const query of ['limit=0', 'limit=501', 'limit=ten', 'range=1y', 'from=yesterday', 'cursor=abc', 'result=maybe', 'unknown=1', 'range=7d&from=2026-01-01T00:00:00Z']) {
      const res = await t.request('GET', `/v1/events?${query}`);
      assert.equal(res.status, 400, query);
      assert.equal(res.body.error.code, 'invalid_request', query);
    }
  });

  it('requires the events:read scope', async () => {
    const writer = await t.createOrg('writer-only', ['events:write']);
    assert.equal((await t.request('GET', '/v1/events', { key: writer.key })).status, 403);
    assert.equal((await t.request('GET', '/v1/events', { key: null })).status, 401);
  });
});

describe('pagination and counts', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
    const base = Date.now() - 10 * HOUR;
    // 10,050 entries, with many sharing one timestamp so the seq tie-breaker is exercised.
    for (let start = 0; start < 10_050; start += 1000) {
      const batch = Array.from({ length: Math.min(1000, 10_050 - start) }, (_, i) =>
        eventInputSchema.parse(sampleEvent({ occurred_at: new Date(base + Math.floor((start + i) / 7) * 1000).toISOString(), metadata: { n: start + i } })),
      );
      await t.app.services.store.append(t.org.id, batch);
    }
  });
  after(() => t.close());

  it('walks every page by cursor without gaps or repeats', async () => {
    const seen = new Set<number>();
    let cursor: string | null = null;
    let pages = 0;
    let previous: { occurred_at: string; seq: number } | undefined;
    do {
      const res: { status: number; body: any } = await t.request('GET', `/v1/events?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(res.status, 200);
      for (const e of res.body.events) {
        assert.ok(!seen.has(e.seq), `seq ${e.seq} repeated`);
        seen.add(e.seq);
        if (previous) assert.ok(previous.occurred_at > e.occurred_at || (previous.occurred_at === e.occurred_at && previous.seq > e.seq), 'order');
        previous = e;
      }
      cursor = res.body.next_cursor;
      pages += 1;
      assert.ok(pages < 100, 'pagination must end');
    } while (cursor);
    assert.equal(seen.size, 10_050);
  });

  it('caps the count at 10,000', async () => {
    const res = await t.request('GET', '/v1/events?limit=1&include_count=true');
    assert.deepEqual(res.body.count, { value: 10_000, capped: true });
    const exact = await t.request('GET', `/v1/events?limit=1&include_count=true&from=${new Date(Date.now() - 10 * HOUR).toISOString()}&to=${new Date(Date.now() - 10 * HOUR + 2000).toISOString()}`);
    assert.deepEqual(exact.body.count, { value: 14, capped: false });
  });
});

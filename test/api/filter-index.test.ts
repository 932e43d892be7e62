import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sampleEvent, startTestApp, type TestApp } from '../helpers/test-app.ts';

const TYPES = ['user.login', 'flow.created', 'flow.updated', 'api_key.used'];
const RESULTS = ['success', 'success', 'failed', 'denied'];

/** Event number `i`: actors, targets, projects and IPs of many distinct values, as real traffic has. */
function event(i: number, now: number): Record<string, unknown> {
  return sampleEvent({
    type: TYPES[i % TYPES.length],
    result: RESULTS[(i * 7) % RESULTS.length],
    actor: { id: `user-${i % 37}`, email: `person${i % 37}@example.com` },
    target: { type: i % 2 ? 'flow' : 'agent', id: `t-${i % 53}` },
    project: { id: `proj-${i % 5}` },
    ip: `10.0.${i % 3}.${i % 41}`,
    occurred_at: new Date(now - (600 - i) * 60_000).toISOString(),
  });
}

/** Filters of every kind, alone and combined, with how each picks from the events above. */
function cases(now: number): Array<{ query: string; picks: (i: number) => boolean }> {
  const at = (i: number) => now - (600 - i) * 60_000;
  return [
    { query: 'type=flow.updated', picks: (i) => i % 4 === 2 },
    { query: 'type=flow.*', picks: (i) => i % 4 === 1 || i % 4 === 2 },
    { query: 'result=failed&result=denied', picks: (i) => (i * 7) % 4 >= 2 },
    { query: 'actor=user-5', picks: (i) => i % 37 === 5 },
    { query: 'actor=person9@example.com', picks: (i) => i % 37 === 9 },
    { query: 'target_type=agent&target_id=t-8', picks: (i) => i % 2 === 0 && i % 53 === 8 },
    { query: 'project=proj-3&result=success', picks: (i) => i % 5 === 3 && (i * 7) % 4 < 2 },
    { query: 'ip=10.0.1.7', picks: (i) => i % 3 === 1 && i % 41 === 7 },
    {
      query: `type=user.login&from=${new Date(at(100)).toISOString()}&to=${new Date(at(400)).toISOString()}`,
      picks: (i) => i % 4 === 0 && i >= 100 && i < 400,
    },
    { query: 'actor=user-5&q=fl', picks: (i) => i % 37 === 5 && (i % 2 === 1 || i % 4 === 1 || i % 4 === 2) },
  ];
}

/**
 * Where the engine keeps the structured conditions' indexes off the write path (SQLite: in the
 * search index, filled by the indexer), a read unions the indexed entries and the unindexed tail.
 * Whatever the split, every filter reads exactly the matching entries, newest first, page by page.
 */
describe('filters over indexed and unindexed entries', () => {
  let t: TestApp;
  const now = Date.now();
  const ids: string[] = [];
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  async function post(from: number, to: number) {
    const events = Array.from({ length: to - from }, (_, k) => event(from + k, now));
    const res = await t.request('POST', '/v1/events', { body: { events } });
    assert.equal(res.status, 201);
    ids.push(...res.body.events.map((e: { id: string }) => e.id));
  }

  /** Every page of `query`, 25 at a time, as ids; and the count the first page reports. */
  async function walk(query: string): Promise<{ ids: string[]; count: number }> {
    const seen: string[] = [];
    let count = -1;
    for (let cursor: string | undefined, pages = 0; pages < 100; pages++) {
      const res = await t.request('GET', `/v1/events?${query}&limit=25&include_count=true${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(res.status, 200, `${query}: ${JSON.stringify(res.body)}`);
      if (pages === 0) count = res.body.count.value;
      seen.push(...res.body.events.map((e: { id: string }) => e.id));
      cursor = res.body.next_cursor ?? undefined;
      if (!cursor) return { ids: seen, count };
    }
    throw new Error(`${query}: more than 100 pages`);
  }

  async function checkAll(stage: string) {
    for (const { query, picks } of cases(now)) {
      const expected = ids.filter((_, i) => picks(i)).reverse();
      assert.ok(expected.length > 0, `${query} picks something`);
      const got = await walk(query);
      assert.deepEqual(got.ids, expected, `${stage}: ${query}`);
      assert.equal(got.count, expected.length, `${stage}: count of ${query}`);
    }
  }

  it('reads the same entries with none, some or all of them indexed', async () => {
    await post(0, 300);
    await checkAll('none indexed');
    await t.app.services.indexer.catchUp();
    await post(300, 600);
    await checkAll('half indexed');
    await t.app.services.indexer.catchUp();
    await checkAll('all indexed');
  });

  it('suggests event types and actor emails from indexed and unindexed entries alike', async () => {
    const res = await t.request('POST', '/v1/events', {
      body: sampleEvent({ type: 'zeppelin.launched', category: 'data', actor: { id: 'pilot-1', email: 'pilot@example.com' } }),
    });
    assert.equal(res.status, 201);
    for (const stage of ['unindexed', 'indexed']) {
      const types = await t.request('GET', '/v1/event-types');
      assert.equal(types.status, 200);
      const used = types.body.types.filter((e: { type: string }) => ['zeppelin.launched', 'flow.updated'].includes(e.type));
      assert.deepEqual(used.map((e: { type: string }) => e.type).sort(), ['flow.updated', 'zeppelin.launched'], stage);
      assert.equal(used.find((e: { type: string }) => e.type === 'zeppelin.launched').category, 'data', stage);
      const actors = await t.request('GET', '/v1/actors?prefix=p&limit=3');
      assert.deepEqual(actors.body.actors, ['person0@example.com', 'person10@example.com', 'person11@example.com'], stage);
      const pilot = await t.request('GET', '/v1/actors?prefix=pi');
      assert.deepEqual(pilot.body.actors, ['pilot@example.com'], stage);
      await t.app.services.indexer.catchUp();
    }
  });

  it('never answers one organization with another one\'s entries, indexed or not', async () => {
    const other = await t.createOrg('filter-other');
    const mine = await t.request('POST', '/v1/events', { key: other.key, body: sampleEvent({ type: 'flow.updated', actor: { id: 'user-5' } }) });
    assert.equal(mine.status, 201);
    for (const stage of ['unindexed', 'indexed']) {
      const res = await t.request('GET', '/v1/events?type=flow.updated&actor=user-5', { key: other.key });
      assert.deepEqual(res.body.events.map((e: { id: string }) => e.id), [mine.body.events[0].id], stage);
      const types = await t.request('GET', '/v1/event-types', { key: other.key });
      assert.ok(!types.body.types.some((e: { type: string }) => e.type === 'zeppelin.launched'), stage);
      await t.app.services.indexer.catchUp();
    }
  });
});

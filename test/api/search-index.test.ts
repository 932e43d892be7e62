import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sampleEvent, startTestApp, type TestApp } from '../helpers/test-app.ts';
import { rawQuery } from '../helpers/test-database.ts';

/** The full-text index answers per organization: a big tenant's matches never crowd a small one's candidates. */
describe('search index candidates', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('come only from the asking organization, newest first, however many another one has', async () => {
    const small = await t.createOrg('small-tenant');
    const old = new Date(Date.now() - 3600_000).toISOString();
    const mine = await t.request('POST', '/v1/events', { key: small.key, body: sampleEvent({ action: 'nightly checkout run', occurred_at: old }) });
    assert.equal(mine.status, 201);
    for (let i = 0; i < 3; i++) {
      const events = Array.from({ length: 500 }, (_, k) => sampleEvent({ action: `checkout ${i}-${k}` }));
      assert.equal((await t.request('POST', '/v1/events', { body: { events } })).status, 201);
    }
    await t.app.services.indexer.catchUp();
    const search = t.app.services.database.search;
    const pkOf = async (id: string) => Number((await rawQuery<{ pk: unknown }>(t.config, 'SELECT pk FROM events WHERE id = ?', [id]))[0]!.pk);
    assert.deepEqual(await search.candidates(small.id, ['checkout'], 10), [await pkOf(mine.body.events[0].id)]);
    const big = await search.candidates(t.org.id, ['checkout'], 50);
    assert.equal(big.length, 50);
    assert.deepEqual(big, [...big].sort((a, b) => b - a), 'newest first');
    const found = await t.request('GET', '/v1/events?q=checkout', { key: small.key });
    assert.deepEqual(found.body.events.map((e: any) => e.id), [mine.body.events[0].id]);
  });

  it('counts a search exactly from the index alone, at the edges of a time range and past the indexed seq', async () => {
    const org = await t.createOrg('counted-words');
    const t0 = Date.parse('2026-06-01T10:00:00.000Z');
    // Entries 137 ms apart over 5 seconds, every third with the word; the later half not yet indexed.
    const at = (k: number) => new Date(t0 + k * 137).toISOString();
    const action = (k: number) => (k % 3 === 0 ? `nightly checkout ${k}` : `nightly run ${k}`);
    const post = async (ks: number[]) => {
      const events = ks.map((k) => sampleEvent({ action: action(k), occurred_at: at(k) }));
      assert.equal((await t.request('POST', '/v1/events', { key: org.key, body: { events } })).status, 201);
    };
    const all = Array.from({ length: 40 }, (_, k) => k);
    await post(all.filter((k) => k % 2 === 0));
    await t.app.services.indexer.catchUp();
    await post(all.filter((k) => k % 2 === 1));
    const { query } = t.app.services;
    const bounds = [undefined, t0 - 1, t0, t0 + 137, t0 + 138, t0 + 1000, t0 + 2740, t0 + 2741, t0 + 5343, t0 + 9000];
    for (const from of bounds) {
      for (const to of bounds) {
        if (from !== undefined && to !== undefined && from >= to) continue;
        for (const q of ['checkout', 'nightly checkout', 'nightly']) {
          const inRange = (k: number) => (from === undefined || t0 + k * 137 >= from) && (to === undefined || t0 + k * 137 < to);
          const expected = all.filter((k) => inRange(k) && q.split(' ').every((w) => action(k).includes(w))).length;
          const counted = await query.count(org.id, { q, from, to }, 1000);
          assert.deepEqual(counted, { value: expected, capped: false }, `q=${q} from=${from} to=${to}`);
          // The activity chart's read of the same matches: each one's own time, once.
          const times = all.filter((k) => inRange(k) && q.split(' ').every((w) => action(k).includes(w))).map((k) => t0 + k * 137);
          const found = await query.matching(org.id, { q, from, to }, 1000);
          assert.deepEqual(found.rows.map((row) => row.at).sort((a, b) => a - b), times, `times q=${q} from=${from} to=${to}`);
          assert.ok(found.rows.every((row) => row.result === 'success') && !found.capped);
        }
      }
    }
    assert.deepEqual(await query.count(org.id, { q: 'nightly' }, 25), { value: 25, capped: true });
    assert.deepEqual(await query.count(org.id, { q: 'checkout' }, 14), { value: 14, capped: false });
    assert.deepEqual(await query.count(org.id, { q: 'checkout' }, 13), { value: 13, capped: true });
    assert.deepEqual((await query.matching(org.id, { q: 'nightly' }, 25)).capped, true);
    assert.equal((await query.matching(org.id, { q: 'nightly' }, 25)).rows.length, 25);
  });

  it('counts in the engine, leaving out the keys already counted, no further than the limit', async () => {
    const org = await t.createOrg('counted-in-engine');
    const events = Array.from({ length: 30 }, (_, k) => sampleEvent({ action: k % 2 === 0 ? `weekly audit ${k}` : `weekly run ${k}` }));
    assert.equal((await t.request('POST', '/v1/events', { key: org.key, body: { events } })).status, 201);
    await t.app.services.indexer.catchUp();
    const search = t.app.services.database.search;
    const all = { fromPk: 0, beforePk: Number.MAX_SAFE_INTEGER };
    const audits = await search.candidates(org.id, ['audit'], 100);
    assert.equal(audits.length, 15);
    assert.equal(await search.countMatching(org.id, ['audit'], 100, all, []), 15);
    assert.equal(await search.countMatching(org.id, ['weekly', 'audit'], 100, all, audits.slice(0, 4)), 11);
    assert.equal(await search.countMatching(org.id, ['audit'], 6, all, []), 6);
    const newest = { fromPk: audits[2]!, beforePk: Number.MAX_SAFE_INTEGER };
    assert.equal(await search.countMatching(org.id, ['audit'], 100, newest, [audits[0]!]), 2);
    assert.equal(await search.countMatching(t.org.id, ['audit'], 100, all, []), 0);
  });
});

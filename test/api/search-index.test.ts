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
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { API_KEY_CACHE_MS } from '../../src/access/api-key.service.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { rawQuery } from '../helpers/test-database.ts';

/** Keys are reused for a moment after they authenticate (no lookup per request); revocation still holds. */
describe('API keys read for authentication', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  const idOf = (key: string) => /^adt_([0-9a-f]{12})_/.exec(key)![1]!;

  it('a key revoked on this server stops working at once', async () => {
    const org = await t.createOrg('revoked-here', ['events:read', 'admin']);
    assert.equal((await t.request('GET', '/v1/events', { key: org.key })).status, 200);
    const res = await t.request('DELETE', `/v1/api-keys/${idOf(org.key)}`, { key: org.key });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const after = await t.request('GET', '/v1/events', { key: org.key });
    assert.equal(after.status, 401);
    assert.match(after.body.error.message, /revoked/);
  });

  it('a key revoked elsewhere (another server) stops working within the cache time', async () => {
    const org = await t.createOrg('revoked-elsewhere', ['events:read']);
    assert.equal((await t.request('GET', '/v1/events', { key: org.key })).status, 200);
    // Straight in the database, as another server sharing it would.
    await rawQuery(t.config, 'UPDATE api_keys SET revoked_at = ? WHERE id = ?', [Date.now(), idOf(org.key)]);
    const revokedAt = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - revokedAt < API_KEY_CACHE_MS * 3) {
      status = (await t.request('GET', '/v1/events', { key: org.key })).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(status, 401);
    assert.ok(Date.now() - revokedAt <= API_KEY_CACHE_MS + 500, `refused within ${API_KEY_CACHE_MS} ms`);
  });

  it('a wrong secret for a cached key id is refused', async () => {
    const org = await t.createOrg('wrong-secret', ['events:read']);
    assert.equal((await t.request('GET', '/v1/events', { key: org.key })).status, 200);
    const forged = `${org.key.slice(0, org.key.lastIndexOf('_') + 1)}${'A'.repeat(43)}`;
    assert.equal((await t.request('GET', '/v1/events', { key: forged })).status, 401);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

/** POST /v1/invites/lookup: the invitation page names what a link is for before it is accepted. */
describe('invitation lookup', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
    await t.createUser(t.org.id, 'owner@acme.test', 'owner');
  });
  after(() => t.close());

  it('names the organization, email, role and status, and says when the link is spent', async () => {
    const owner = await t.signIn('owner@acme.test');
    const created = await t.request('POST', '/v1/invites', { as: owner, body: { email: 'new@acme.test', role: 'admin' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const token = new URL(created.body.url).searchParams.get('token')!;
    const found = await t.request('POST', '/v1/invites/lookup', { key: null, body: { token } });
    assert.equal(found.status, 200, JSON.stringify(found.body));
    assert.equal(found.body.email, 'new@acme.test');
    assert.equal(found.body.role, 'admin');
    assert.equal(found.body.status, 'pending');
    assert.equal(found.body.existing_account, false);
    assert.equal(typeof found.body.org_name, 'string');
    const revoked = await t.request('DELETE', `/v1/invites/${created.body.invite?.id ?? found.body.id}`, { as: owner });
    assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
    assert.equal((await t.request('POST', '/v1/invites/lookup', { key: null, body: { token } })).body.status, 'revoked');
    const unknown = await t.request('POST', '/v1/invites/lookup', { key: null, body: { token: 'x'.repeat(40) } });
    assert.equal(unknown.status, 404);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PASSWORD, sampleEvent, startTestApp, type Session, type TestApp } from '../helpers/test-app.ts';
import { rawQuery, storedContents } from '../helpers/test-database.ts';

/** The newest self-audit entries of an organization with `type`, read through the store. */
async function recorded(t: TestApp, orgId: string, type: string) {
  const page = await t.app.services.query.list(orgId, { types: [type] }, 50);
  return page.entries;
}

describe('accounts and access', () => {
  let t: TestApp;
  let owner: Session;
  let admin: Session;
  let member: Session;
  before(async () => {
    t = await startTestApp({ loginMaxFailures: 3 });
    await t.createUser(t.org.id, 'owner@acme.test', 'owner');
    await t.createUser(t.org.id, 'admin@acme.test', 'admin');
    await t.createUser(t.org.id, 'member@acme.test', 'member');
    owner = await t.signIn('owner@acme.test');
    admin = await t.signIn('admin@acme.test');
    member = await t.signIn('member@acme.test');
    assert.equal((await t.request('POST', '/v1/events', { body: sampleEvent({ action: 'seed' }) })).status, 201);
  });
  after(() => t.close());

  it('signs in with an HttpOnly, SameSite=Lax session cookie and records login.success', async () => {
    const res = await t.request('POST', '/v1/auth/login', { key: null, body: { email: 'OWNER@acme.test', password: PASSWORD }, headers: { 'user-agent': 'test-agent/1' } });
    assert.equal(res.status, 200);
    const cookie = res.headers.get('set-cookie')!;
    assert.match(cookie, /auditum_session=/);
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Lax/i);
    assert.doesNotMatch(cookie, /Secure/i, 'not Secure over plain http');
    assert.equal(res.body.role, 'owner');
    assert.equal(res.body.org.slug, 'acme');
    const [entry] = await recorded(t, t.org.id, 'login.success');
    assert.equal(entry!.actor.type, 'user');
    assert.equal(entry!.actor.email, 'owner@acme.test');
    assert.equal(entry!.ip, '127.0.0.1');
    assert.equal(entry!.user_agent, 'test-agent/1');
  });

  it('marks the session cookie Secure when the public URL is https (a TLS proxy in front)', async () => {
    const proxied = await startTestApp({ publicUrl: 'https://audit.example.com' });
    try {
      await proxied.createUser(proxied.org.id, 'owner@acme.test', 'owner');
      const res = await proxied.request('POST', '/v1/auth/login', { key: null, body: { email: 'owner@acme.test', password: PASSWORD } });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('set-cookie')!, /;\s*Secure/i);
    } finally {
      await proxied.close();
    }
  });

  it('rejects a wrong password with 401, records login.failure, and rate limits per account and IP', async () => {
    await t.createUser(t.org.id, 'target@acme.test', 'admin');
    for (let i = 0; i < 3; i++) {
      const res = await t.request('POST', '/v1/auth/login', { key: null, body: { email: 'target@acme.test', password: 'wrong password!' } });
      assert.equal(res.status, 401);
      assert.equal(res.body.error.message, 'invalid email or password');
    }
    const limited = await t.request('POST', '/v1/auth/login', { key: null, body: { email: 'target@acme.test', password: PASSWORD } });
    assert.equal(limited.status, 429, 'even the right password waits once the account is limited');
    assert.equal(limited.body.error.code, 'too_many_attempts');
    const failures = (await recorded(t, t.org.id, 'login.failure')).filter((e) => e.actor.email === 'target@acme.test');
    assert.deepEqual(failures.map((e) => e.metadata!.reason).sort(), ['rate_limited', 'wrong_password', 'wrong_password', 'wrong_password']);
    assert.ok(failures.every((e) => e.result === 'failed' && e.ip === '127.0.0.1'));
    const unknown = await t.request('POST', '/v1/auth/login', { key: null, body: { email: 'nobody@acme.test', password: 'whatever-password' } });
    assert.equal(unknown.status, 401);
  });

  it('gives each role exactly its rights', async () => {
    const cases: Array<[string, string, unknown, { owner: number; admin: number; member: number }]> = [
      ['GET', '/v1/events', undefined, { owner: 200, admin: 200, member: 403 }],
      ['GET', '/v1/integrity/verify', undefined, { owner: 200, admin: 200, member: 403 }],
      ['GET', '/v1/members', undefined, { owner: 200, admin: 200, member: 403 }],
      ['GET', '/v1/api-keys', undefined, { owner: 200, admin: 200, member: 403 }],
      ['GET', '/v1/settings', undefined, { owner: 200, admin: 200, member: 403 }],
      ['PATCH', '/v1/settings', { name: 'Acme Corp' }, { owner: 200, admin: 200, member: 403 }],
      ['GET', '/v1/auth/me', undefined, { owner: 200, admin: 200, member: 200 }],
    ];
    for (const [method, url, body, expected] of cases) {
      for (const [role, session] of [['owner', owner], ['admin', admin], ['member', member]] as const) {
        const res = await t.request(method, url, { as: session, body });
        assert.equal(res.status, expected[role], `${role} ${method} ${url}: ${JSON.stringify(res.body)}`);
      }
    }
    const denied = await t.request('GET', '/v1/events', { as: member });
    assert.equal(denied.body.error.message, 'only organization owners and admins can view audit logs');
  });

  it('lets only owners change roles, and always keeps one owner', async () => {
    const userId = await t.createUser(t.org.id, 'promote@acme.test', 'member');
    const byAdmin = await t.request('PATCH', `/v1/members/${userId}`, { as: admin, body: { role: 'admin' } });
    assert.equal(byAdmin.status, 403);
    const byOwner = await t.request('PATCH', `/v1/members/${userId}`, { as: owner, body: { role: 'owner' } });
    assert.equal(byOwner.status, 200);
    assert.equal(byOwner.body.role, 'owner');
    const [change] = await recorded(t, t.org.id, 'user.role_changed');
    assert.equal(change!.actor.email, 'owner@acme.test');
    assert.deepEqual(change!.metadata, { from: 'member', to: 'owner', new_role: 'owner', changes: { role: { from: 'member', to: 'owner' } } });
    assert.equal(change!.target!.id, userId);
    // Demote the new owner, then try to demote the last owner.
    assert.equal((await t.request('PATCH', `/v1/members/${userId}`, { as: owner, body: { role: 'member' } })).status, 200);
    const self = await t.request('PATCH', `/v1/members/${owner.me.user.id}`, { as: owner, body: { role: 'admin' } });
    assert.equal(self.status, 409);
    assert.match(self.body.error.message, /at least one active owner/);
  });

  it('rejects state changes from a cookie without the CSRF token', async () => {
    const res = await t.request('PATCH', '/v1/settings', { as: owner, csrf: false, body: { name: 'Hijacked' } });
    assert.equal(res.status, 403);
    assert.match(res.body.error.message, /CSRF/);
    const wrong = await t.request('PATCH', '/v1/settings', { as: { ...owner, csrf: 'not-the-token' }, body: { name: 'Hijacked' } });
    assert.equal(wrong.status, 403);
    assert.equal((await t.app.services.orgs.byId(t.org.id)).name !== 'Hijacked', true);
  });

  it('ends sessions on sign-out, revocation, deactivation and inactivity', async () => {
    await t.createUser(t.org.id, 'leaver@acme.test', 'admin');
    const a = await t.signIn('leaver@acme.test');
    assert.equal((await t.request('POST', '/v1/auth/logout', { as: a })).status, 204);
    assert.equal((await t.request('GET', '/v1/events', { as: a })).status, 401);
    assert.equal((await recorded(t, t.org.id, 'logout'))[0]!.actor.email, 'leaver@acme.test');

    const b = await t.signIn('leaver@acme.test');
    const c = await t.signIn('leaver@acme.test');
    const sessions = await t.request('GET', '/v1/auth/sessions', { as: c });
    const other = sessions.body.sessions.find((s: { current: boolean }) => !s.current);
    assert.equal((await t.request('DELETE', `/v1/auth/sessions/${other.id}`, { as: c })).status, 204);
    assert.equal((await t.request('GET', '/v1/events', { as: b })).status, 401);
    assert.equal((await recorded(t, t.org.id, 'session.revoked'))[0]!.metadata!.session_id, other.id);

    const sessionId = (await t.request('GET', '/v1/auth/sessions', { as: c })).body.sessions[0].id;
    await rawQuery(t.config, 'UPDATE sessions SET last_seen_at = ? WHERE id = ?', [Date.now() - 13 * 3600_000, sessionId]);
    const idle = await t.request('GET', '/v1/events', { as: c });
    assert.equal(idle.status, 401);
    assert.match(idle.body.error.message, /expired/);

    const d = await t.signIn('leaver@acme.test');
    const leaverId = d.me.user.id;
    assert.equal((await t.request('PATCH', `/v1/members/${leaverId}`, { as: owner, body: { status: 'deactivated' } })).status, 200);
    assert.equal((await t.request('GET', '/v1/events', { as: d })).status, 401);
    assert.equal((await t.request('POST', '/v1/auth/login', { key: null, body: { email: 'leaver@acme.test', password: PASSWORD } })).status, 401);
    assert.equal((await recorded(t, t.org.id, 'user.deactivated'))[0]!.target!.id, leaverId);
  });

  it('invites by a single-use link that expires and can be revoked', async () => {
    const created = await t.request('POST', '/v1/invites', { as: admin, body: { email: 'new@acme.test', role: 'admin' } });
    assert.equal(created.status, 201);
    const token = new URL(created.body.url).searchParams.get('token')!;
    assert.ok(token.length >= 40);
    assert.equal((await t.request('POST', '/v1/invites', { as: admin, body: { email: 'boss@acme.test', role: 'owner' } })).status, 403, 'admins cannot invite owners');
    const list = await t.request('GET', '/v1/invites', { as: admin });
    assert.ok(!JSON.stringify(list.body).includes(token), 'the token is never listed');

    const accepted = await t.request('POST', '/v1/invites/accept', { key: null, body: { token, password: 'a long new password' } });
    assert.equal(accepted.status, 200);
    assert.equal(accepted.body.role, 'admin');
    assert.equal((await t.request('POST', '/v1/invites/accept', { key: null, body: { token, password: 'a long new password' } })).status, 400, 'single use');
    const [inviteEvent] = await recorded(t, t.org.id, 'user.invited');
    assert.equal(inviteEvent!.actor.email, 'admin@acme.test');
    assert.equal((await recorded(t, t.org.id, 'invite.accepted'))[0]!.actor.email, 'new@acme.test');

    const revoked = await t.request('POST', '/v1/invites', { as: owner, body: { email: 'late@acme.test', role: 'member' } });
    assert.equal((await t.request('DELETE', `/v1/invites/${revoked.body.invite.id}`, { as: owner })).status, 200);
    const revokedToken = new URL(revoked.body.url).searchParams.get('token')!;
    assert.equal((await t.request('POST', '/v1/invites/accept', { key: null, body: { token: revokedToken, password: 'a long new password' } })).status, 400);
    assert.equal((await recorded(t, t.org.id, 'invite.revoked')).length, 1);

    const expiring = await t.request('POST', '/v1/invites', { as: owner, body: { email: 'slow@acme.test', role: 'member' } });
    await rawQuery(t.config, 'UPDATE invites SET expires_at = ? WHERE id = ?', [Date.now() - 1, expiring.body.invite.id]);
    const expired = await t.request('POST', '/v1/invites/accept', { key: null, body: { token: new URL(expiring.body.url).searchParams.get('token'), password: 'a long new password' } });
    assert.equal(expired.status, 400);
    assert.match(expired.body.error.message, /expired/);
  });

  it('manages API keys: shown once, revocation immediate, actions recorded with the real actor', async () => {
    const created = await t.request('POST', '/v1/api-keys', { as: admin, body: { name: 'ci', scopes: ['events:write'] } });
    assert.equal(created.status, 201);
    const { key, api_key: info } = created.body;
    assert.equal((await t.request('POST', '/v1/events', { key, body: sampleEvent() })).status, 201);
    assert.equal((await t.request('GET', '/v1/events', { key })).status, 403, 'write-only key cannot read');
    const list = await t.request('GET', '/v1/api-keys', { as: owner });
    assert.ok(!JSON.stringify(list.body).includes(key));
    assert.ok(list.body.api_keys.find((k: { id: string; last_used_at: string | null }) => k.id === info.id).last_used_at);
    assert.equal((await t.request('DELETE', `/v1/api-keys/${info.id}`, { as: owner })).status, 200);
    assert.equal((await t.request('POST', '/v1/events', { key, body: sampleEvent() })).status, 401);
    const [createdEvent] = await recorded(t, t.org.id, 'api_key.created');
    assert.equal(createdEvent!.actor.email, 'admin@acme.test');
    assert.equal(createdEvent!.target!.id, info.id);
    const [revokedEvent] = await recorded(t, t.org.id, 'api_key.revoked');
    assert.equal(revokedEvent!.actor.email, 'owner@acme.test');
    const bad = await t.request('POST', '/v1/api-keys', { as: owner, body: { name: 'x', scopes: ['root'] } });
    assert.equal(bad.status, 400);
  });

  it('issues OAuth2 client-credentials tokens that stop working when the client is revoked', async () => {
    const created = await t.request('POST', '/v1/oauth-clients', { as: owner, body: { name: 'siem', scopes: ['events:read'] } });
    assert.equal(created.status, 201);
    const { client_secret: secret, oauth_client: client } = created.body;
    const basic = Buffer.from(`${client.client_id}:${secret}`).toString('base64');
    const tokenRes = await fetch(`${t.url}/oauth/token`, { method: 'POST', headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    assert.equal(tokenRes.status, 200);
    const grant = (await tokenRes.json()) as { access_token: string; token_type: string; expires_in: number; scope: string };
    assert.equal(grant.token_type, 'Bearer');
    assert.equal(grant.scope, 'events:read');
    const read = await t.request('GET', '/v1/events', { key: grant.access_token });
    assert.equal(read.status, 200);
    assert.ok(read.body.events.length > 0);
    assert.equal((await t.request('POST', '/v1/events', { key: grant.access_token, body: sampleEvent() })).status, 403);

    const wrong = await fetch(`${t.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=client_credentials&client_id=${client.client_id}&client_secret=nope` });
    assert.equal(wrong.status, 401);
    assert.equal(((await wrong.json()) as { error: string }).error, 'invalid_client');
    const grantType = await fetch(`${t.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=password' });
    assert.equal(((await grantType.json()) as { error: string }).error, 'unsupported_grant_type');

    assert.equal((await t.request('DELETE', `/v1/oauth-clients/${client.client_id}`, { as: owner })).status, 200);
    assert.equal((await t.request('GET', '/v1/events', { key: grant.access_token })).status, 401);
    assert.equal((await recorded(t, t.org.id, 'oauth_client.created'))[0]!.target!.id, client.client_id);
    assert.equal((await recorded(t, t.org.id, 'oauth_client.revoked')).length, 1);
  });

  it('mints viewer tokens that read one organization as the named viewer', async () => {
    const minted = await t.request('POST', '/v1/viewer-tokens', { as: admin, body: { viewer: { id: 'cust-7', email: 'viewer@customer.test' }, ttl_seconds: 120 } });
    assert.equal(minted.status, 201);
    assert.match(minted.body.url, /\/embed\?token=/);
    const read = await t.request('GET', '/v1/events', { key: minted.body.token });
    assert.equal(read.status, 200);
    assert.ok(read.body.events.every((e: { org_id: string }) => e.org_id === t.org.id));
    assert.equal((await t.request('POST', '/v1/events', { key: minted.body.token, body: sampleEvent() })).status, 403);
    assert.equal((await t.request('GET', '/v1/members', { key: minted.body.token })).status, 403);
    assert.equal((await t.request('POST', '/v1/viewer-tokens', { as: member, body: { viewer: { id: 'x' } } })).status, 403);
    // The viewer is who is recorded as having viewed the log: once per token, not once per page.
    assert.equal((await t.request('GET', '/v1/events?limit=1', { key: minted.body.token })).status, 200);
    const views = (await recorded(t, t.org.id, 'audit_log.viewed')).filter((e) => e.actor.id === 'cust-7');
    assert.equal(views.length, 1);
    assert.equal(views[0]!.actor.email, 'viewer@customer.test');
    assert.equal(views[0]!.actor.type, 'user');
    assert.equal(views[0]!.category, 'data');
    assert.deepEqual(views[0]!.metadata, { via: 'embed' });
    // A signed-in admin's first read in a session is recorded too, once.
    for (let i = 0; i < 3; i++) assert.equal((await t.request('GET', '/v1/events?limit=1', { as: admin })).status, 200);
    const adminViews = (await recorded(t, t.org.id, 'audit_log.viewed')).filter((e) => e.actor.id === admin.me.user.id);
    assert.equal(adminViews.length, 1);
    assert.deepEqual(adminViews[0]!.metadata, { via: 'web' });
  });

  it('never stores or logs secrets in plain text', async () => {
    const key = (await t.request('POST', '/v1/api-keys', { as: owner, body: { name: 'plain', scopes: ['events:read'] } })).body.key;
    const secret = (await t.request('POST', '/v1/oauth-clients', { as: owner, body: { name: 'plain', scopes: ['events:read'] } })).body.client_secret;
    const invite = new URL((await t.request('POST', '/v1/invites', { as: owner, body: { email: 'plain@acme.test', role: 'member' } })).body.url).searchParams.get('token')!;
    const sessionToken = owner.cookie.split('=')[1]!;
    const stored = await storedContents(t.config);
    assert.ok(stored.join('').length > 1000, 'the database was read');
    for (const value of [key, secret, invite, sessionToken, owner.csrf, PASSWORD]) {
      assert.ok(stored.every((content) => !content.includes(value)), 'a secret was found in the database');
    }
  });
});

describe('first run', () => {
  it('creates the first organization and owner with the one-time setup token', async () => {
    const fresh = await startTestApp();
    try {
      // startTestApp made an organization but no user, so a setup link is on offer.
      const token = await fresh.app.services.setup.tokenIfNeeded();
      assert.ok(token);
      const res = await fresh.request('POST', '/v1/setup', { key: null, body: { token, org_slug: 'first', org_name: 'First Co', email: 'root@first.test', password: PASSWORD } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.role, 'owner');
      assert.equal(res.body.org.slug, 'first');
      assert.match(res.headers.get('set-cookie') ?? '', /auditum_session=/);
      const again = await fresh.request('POST', '/v1/setup', { key: null, body: { token, org_slug: 'second', email: 'x@first.test', password: PASSWORD } });
      assert.equal(again.status, 400);
      assert.equal(await fresh.app.services.setup.tokenIfNeeded(), null, 'no setup link once a user exists');
    } finally {
      await fresh.close();
    }
  });
});

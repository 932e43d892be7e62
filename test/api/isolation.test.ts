import assert from 'node:assert/strict';
import { openStream } from '../helpers/event-stream.ts';
import { waitFor } from '../helpers/otlp-receiver.ts';
import { after, before, describe, it } from 'node:test';
import { sampleEvent, startTestApp, type Session, type TestApp, type TestOrg } from '../helpers/test-app.ts';

/** Routes anyone may call (they authenticate by what they carry in the body). */
const PUBLIC = new Set(['POST /v1/auth/login', 'POST /v1/setup', 'POST /v1/invites/accept', 'POST /oauth/token']);

/** Plausible bodies for changing routes, so the walk tries real changes, not just invalid input. */
const BODIES: Record<string, unknown> = {
  'PATCH /v1/members/:userId': { status: 'deactivated', role: 'member' },
  'PATCH /v1/settings': { name: 'Taken over' },
  'POST /v1/events': sampleEvent({ action: 'from beta' }),
  'POST /v1/invites': { email: 'spy@beta.test', role: 'member' },
  'POST /v1/api-keys': { name: 'beta key', scopes: ['events:read'] },
  'POST /v1/oauth-clients': { name: 'beta client', scopes: ['events:read'] },
  'POST /v1/viewer-tokens': { viewer: { id: 'beta-viewer' } },
};

describe('organization isolation', () => {
  let t: TestApp;
  let beta: TestOrg;
  let alphaOwner: Session;
  let betaOwner: Session;
  let betaAdminKey: string;
  const alpha: Record<string, string> = {};

  before(async () => {
    t = await startTestApp();
    // Organization "acme" (alpha) with one of everything.
    alpha.memberId = await t.createUser(t.org.id, 'owner@alpha.test', 'owner');
    alpha.otherMemberId = await t.createUser(t.org.id, 'staff@alpha.test', 'admin');
    alphaOwner = await t.signIn('owner@alpha.test');
    alpha.eventId = (await t.request('POST', '/v1/events', { body: sampleEvent({ id: 'alpha-secret-event', action: 'alpha only' }) })).body.events[0].id;
    const key = await t.request('POST', '/v1/api-keys', { as: alphaOwner, body: { name: 'alpha key', scopes: ['events:read'] } });
    alpha.key = key.body.key;
    alpha.keyId = key.body.api_key.id;
    alpha.clientId = (await t.request('POST', '/v1/oauth-clients', { as: alphaOwner, body: { name: 'alpha client', scopes: ['events:read'] } })).body.oauth_client.client_id;
    alpha.inviteId = (await t.request('POST', '/v1/invites', { as: alphaOwner, body: { email: 'pending@alpha.test', role: 'member' } })).body.invite.id;
    alpha.sessionId = (await t.request('GET', '/v1/auth/sessions', { as: alphaOwner })).body.sessions[0].id;
    alpha.orgId = t.org.id;
    alpha.exportId = (await t.request('POST', '/v1/exports', { as: alphaOwner, body: { name: 'alpha export', format: 'jsonl' } })).body.id;
    alpha.ruleId = (await t.request('GET', '/v1/alert-rules', { as: alphaOwner })).body.rules[0].id;
    assert.ok(alpha.exportId && alpha.ruleId, 'alpha has an export and an alert rule');

    // Organization "beta" with an owner session and an admin key.
    beta = await t.createOrg('beta', ['admin']);
    betaAdminKey = beta.key;
    await t.createUser(beta.id, 'owner@beta.test', 'owner');
    betaOwner = await t.signIn('owner@beta.test');
  });
  after(() => t.close());

  function paramsFor(url: string): string {
    return url
      .replace(':userId', alpha.memberId!)
      .replace(/\/v1\/events\/:id/, `/v1/events/${alpha.eventId}`)
      .replace(/\/v1\/api-keys\/:id/, `/v1/api-keys/${alpha.keyId}`)
      .replace(/\/v1\/oauth-clients\/:id/, `/v1/oauth-clients/${alpha.clientId}`)
      .replace(/\/v1\/invites\/:id/, `/v1/invites/${alpha.inviteId}`)
      .replace(/\/v1\/auth\/sessions\/:id/, `/v1/auth/sessions/${alpha.sessionId}`)
      .replace(/\/v1\/exports\/:id/, `/v1/exports/${alpha.exportId}`)
      .replace(/\/v1\/alert-rules\/:id/, `/v1/alert-rules/${alpha.ruleId}`)
      .replace(/:[a-zA-Z]+/g, alpha.eventId!);
  }

  /**
   * The stream does not end by itself: it is read from the start of beta's chain until it has sent
   * every entry beta has, then closed; none of them may be alpha's.
   */
  async function walkStream() {
    for (const headers of [{ cookie: betaOwner.cookie }, { authorization: `Bearer ${betaAdminKey}` }] as Array<Record<string, string>>) {
      const stream = await openStream(`${t.url}/v1/events/stream?after_seq=0`, headers);
      assert.equal(stream.status, 200);
      const { lastSeq } = await t.app.services.store.head(beta.id);
      await waitFor("beta's entries on its stream", () => stream.events.length >= lastSeq);
      stream.close();
      const orgs = new Set(stream.events.map((e) => JSON.parse(e.data).org_id));
      assert.deepEqual([...orgs], [beta.id], 'only beta entries on beta stream');
    }
  }

  it("walks every route with another organization's credentials without reaching this one's data", async () => {
    const secrets = [alpha.orgId, alpha.eventId, alpha.keyId, alpha.clientId, alpha.inviteId, alpha.memberId, alpha.otherMemberId, alpha.sessionId, alpha.exportId, alpha.ruleId, 'owner@alpha.test', 'alpha only', 'alpha export'];
    const walked: string[] = [];
    for (const route of t.app.routes) {
      const name = `${route.method} ${route.url}`;
      if (PUBLIC.has(name)) continue;
      if (name === 'GET /v1/events/stream') {
        await walkStream();
        walked.push(name);
        continue;
      }
      for (const [who, options] of [['beta owner session', { as: betaOwner }], ['beta admin key', { key: betaAdminKey }]] as const) {
        const res = await t.request(route.method, paramsFor(route.url), { ...options, body: BODIES[name] ?? (['POST', 'PUT', 'PATCH'].includes(route.method) ? {} : undefined) });
        const text = JSON.stringify(res.body);
        for (const secret of secrets) assert.ok(!text.includes(secret!), `${who} ${name} leaked ${secret}: ${text.slice(0, 300)}`);
        if (route.url.includes(':')) assert.ok(res.status >= 400 && res.status < 500, `${who} ${name} answered ${res.status}`);
        assert.ok(res.status < 500, `${who} ${name} answered ${res.status}`);
      }
      walked.push(name);
    }
    assert.ok(walked.length >= 20, `walked ${walked.length} routes`);

    // Nothing of alpha's changed.
    assert.equal((await t.request('GET', '/v1/events', { key: alpha.key })).status, 200, 'alpha key still works');
    const members = (await t.request('GET', '/v1/members', { as: alphaOwner })).body.members;
    assert.ok(members.every((m: { status: string }) => m.status === 'active'));
    assert.equal((await t.request('GET', '/v1/invites', { as: alphaOwner })).body.invites[0].status, 'pending');
    assert.equal((await t.request('GET', '/v1/oauth-clients', { as: alphaOwner })).body.oauth_clients[0].revoked_at, null);
    assert.equal((await t.app.services.orgs.byId(alpha.orgId!)).name, 'acme');
    const alphaEvents = (await t.request('GET', '/v1/events?limit=500', { as: alphaOwner })).body.events;
    assert.ok(alphaEvents.every((e: { action: string | null }) => e.action !== 'from beta'));
  });
});

import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { openDatabase } from '../../src/db/database.ts';
import { startExistingOrgs } from '../../src/db/migrations/0007-alerts.ts';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { createServices, startApp, type RunningApp } from '../../src/main.ts';
import { waitFor } from '../helpers/otlp-receiver.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { rawQuery, storedContents } from '../helpers/test-database.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';

const FAST = { jobRetryBaseMs: 50 };
const at = (hhmmss: string) => `2026-11-23T${hhmmss}Z`;

/** Verifies an Auditum-Signature header the way a receiver would, with its own HMAC. */
function verifySignature(header: string, rawBody: string, secret: string, toleranceSeconds = 300): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=') as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  const given = Buffer.from(parts.v1 ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

describe('alerts', () => {
  let t: TestApp;
  let app: RunningApp;
  let admin: string;
  beforeEach(async () => {
    t = await startTestApp(FAST);
    app = t.app;
    admin = (await app.services.apiKeys.create(t.org.id, { name: 'admin', scopes: ['admin'] })).key;
  });
  afterEach(async () => {
    await app.close();
    fs.rmSync(t.dataDir, { recursive: true, force: true });
  });

  /** A request to whichever app is current (after a restart, the new one). */
  const call = async (method: string, path: string, options: { key?: string; body?: unknown } = {}) => {
    const headers: Record<string, string> = { authorization: `Bearer ${options.key ?? admin}` };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${app.url}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const ingest = async (events: Array<Record<string, unknown>>, key = t.org.key) => {
    const res = await call('POST', '/v1/events', { key, body: { events } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  };
  const failure = (actor: string, ip: string, time: string) => ({ type: 'login.failure', result: 'failed', actor: { id: actor }, ip, occurred_at: at(time) });
  /** Waits until the evaluator has read the organization's whole chain and dispatched every alert. */
  const settled = async (orgId = t.org.id) =>
    waitFor('alert evaluation to catch up', async () => {
      const state = await app.services.alertRepo.state(orgId);
      const head = await app.services.store.head(orgId);
      return state !== undefined && Number(state.evaluated_seq) >= head.lastSeq && (await app.services.alertRepo.undispatched([orgId], 1)).length === 0;
    });
  const alerts = async (key = admin, query = '') => {
    const res = await call('GET', `/v1/alerts${query}`, { key });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as { alerts: any[]; open_count: number };
  };
  const createRule = async (body: Record<string, unknown>, key = admin) => {
    const res = await call('POST', '/v1/alert-rules', { key, body });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body;
  };
  const entriesOfType = async (type: string, orgId = t.org.id) => (await app.services.store.bySeq(orgId, 0, 10_000)).filter((e) => e.type === type);

  it('gives a new organization the built-in rules, enabled, and lets admins edit or turn them off', async () => {
    const { rules } = (await call('GET', '/v1/alert-rules')).body;
    assert.deepEqual(rules.map((r: any) => r.builtin), ['failed_sign_ins', 'api_key_created', 'privileged_role', 'sso_changed', 'denied_burst']);
    assert.ok(rules.every((r: any) => r.enabled));
    const failed = rules[0];
    assert.deepEqual(failed.condition, { type: 'threshold', count: 5, window_minutes: 10, group_by: ['actor', 'ip'] });
    assert.deepEqual(rules[4].condition, { type: 'threshold', count: 10, window_minutes: 5, group_by: ['actor'] });
    assert.deepEqual(rules[3].filter.type, ['oidc.configured', 'sso.configured', 'sso.enabled', 'sso.disabled']);
    assert.deepEqual(rules.map((r: any) => r.severity), ['high', 'low', 'high', 'high', 'medium']);
    const off = await call('PATCH', `/v1/alert-rules/${rules[1].id}`, { body: { enabled: false } });
    assert.equal(off.status, 200);
    assert.equal(off.body.enabled, false);
    const edited = await call('PATCH', `/v1/alert-rules/${failed.id}`, { body: { condition: { type: 'threshold', count: 3, window_minutes: 10, group_by: ['ip'] } } });
    assert.equal(edited.body.condition.count, 3);
    // Changes to rules are themselves in the audit log.
    const changes = await entriesOfType('settings.updated');
    assert.deepEqual(changes.map((e) => e.action), ['Disabled alert rule "New API key"', 'Updated alert rule "Repeated failed sign-ins"']);
    assert.deepEqual(changes[0]!.metadata!.changes, { enabled: { from: true, to: false } }, 'the change is recorded as from and to');
    // Bad input is refused, naming the field.
    const bad = await call('POST', '/v1/alert-rules', { body: { name: 'x', condition: { type: 'threshold', count: 0, window_minutes: 5 } } });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /count/);
    assert.equal((await call('POST', '/v1/alert-rules', { body: { name: 'x', filter: { type: 'Bad Type' }, condition: { type: 'any' } } })).status, 400);
  });

  it('threshold edges: N-1 failed sign-ins do not fire, the Nth does; grouping by actor vs IP', async () => {
    // Same actor, four different IPs: neither group has 5.
    await ingest(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'].map((ip, i) => failure('mallory', ip, `09:5${5 + i}:10.000`)));
    await settled();
    assert.equal((await alerts()).alerts.length, 0);
    // The fifth, within 10 minutes of the first: the actor group fires (the IPs still have one each).
    await ingest([failure('mallory', '10.0.0.5', '09:59:59.000')]);
    await settled();
    let list = (await alerts()).alerts;
    assert.equal(list.length, 1);
    assert.equal(list[0].rule.name, 'Repeated failed sign-ins');
    assert.equal(list[0].group_key, 'actor:mallory');
    assert.equal(list[0].count, 5);
    assert.deepEqual(list[0].window, { start: '2026-11-23T09:55:10.000Z', end: '2026-11-23T09:59:59.000Z', minutes: 10 });
    const link = new URL(list[0].link, 'http://x');
    assert.equal(link.pathname, '/audit-logs');
    assert.deepEqual(link.searchParams.getAll('type'), ['login.failure']);
    assert.equal(link.searchParams.get('actor'), 'mallory');
    assert.equal(link.searchParams.get('range'), 'custom');
    assert.equal(link.searchParams.get('from'), '2026-11-23T09:55:10.000Z');
    assert.equal(link.searchParams.get('to'), '2026-11-23T09:59:59.001Z');
    // The link's filters find exactly the matching entries through the public API.
    const linked = await call('GET', `/v1/events?type=login.failure&actor=mallory&from=${link.searchParams.get('from')}&to=${link.searchParams.get('to')}`);
    assert.deepEqual(linked.body.events.map((e: any) => e.id).sort(), (await entriesOfType('login.failure')).map((e) => e.id).sort());
    assert.equal(list[0].first_entry_id, (await entriesOfType('login.failure'))[0]!.id);

    // Five different actors from one IP: the IP group fires, no actor group does.
    await ingest(['a1', 'a2', 'a3', 'a4', 'a5'].map((actor, i) => failure(actor, '192.0.2.9', `10:20:0${i}.000`)));
    await settled();
    list = (await alerts()).alerts;
    assert.equal(list.length, 2);
    assert.equal(list[0].group_key, 'ip:192.0.2.9');
    assert.equal(new URL(list[0].link, 'http://x').searchParams.get('q'), '192.0.2.9');
  });

  it('one attack is one alert: the same actor from the same IP names both groups, by name and email', async () => {
    const dana = { id: 'b1d0f633-0000-4000-8000-000000000001', email: 'dana@acme.test', name: 'Dana Smith' };
    const attempt = (time: string) => ({ type: 'login.failure', result: 'failed', actor: dana, ip: '198.51.100.7', occurred_at: at(time) });
    await ingest(['10:00:01', '10:00:02', '10:00:03', '10:00:04', '10:00:05', '10:00:06'].map((s) => attempt(`${s}.000`)));
    await settled();
    const list = (await alerts()).alerts;
    assert.equal(list.length, 1, 'per actor and per IP, one incident raises one alert');
    const [alert] = list;
    assert.equal(alert.severity, 'high');
    assert.deepEqual(alert.group, { by: 'actor', value: dana.id, label: 'Dana Smith <dana@acme.test>' });
    assert.deepEqual(alert.related, [{ by: 'ip', value: '198.51.100.7', label: null }]);
    assert.equal(alert.suppressed, 1, 'the sixth attempt is counted on the alert once');
    assert.equal(new URL(alert.link, 'http://x').searchParams.get('actor'), 'dana@acme.test', 'the link filters by email, not the id');
    await waitFor('alert.triggered', async () => (await entriesOfType('alert.triggered')).length === 1);
    const [triggered] = await entriesOfType('alert.triggered');
    assert.equal(triggered!.action, 'Alert "Repeated failed sign-ins": 5 matching entries for Dana Smith <dana@acme.test>');
    // A later attack from another IP on the same person is its own group; it joins while the first alert is open.
    await ingest(['10:01:01', '10:01:02', '10:01:03', '10:01:04', '10:01:05'].map((s) => ({ ...attempt(`${s}.000`), ip: '203.0.113.9' })));
    await settled();
    const after = (await alerts()).alerts;
    assert.equal(after.length, 1);
    assert.deepEqual(after[0].related.map((g: any) => g.value), ['198.51.100.7', '203.0.113.9']);
  });

  it('the built-in SSO rule fires on settings changes, not on sign-ins', async () => {
    await ingest([
      { type: 'sso.login', actor: { id: 'u1' }, occurred_at: at('11:00:00.000') },
      { type: 'sso.configured', actor: { id: 'u1' }, target: { type: 'sso', id: 'okta' }, occurred_at: at('11:00:01.000') },
    ]);
    await settled();
    const list = (await alerts()).alerts;
    assert.deepEqual(list.map((a: any) => a.rule.name), ['SSO settings changed']);
    assert.equal(list[0].count, 1);
  });

  it('windows slide across minute boundaries on occurred_at', async () => {
    await createRule({ name: 'Flow bursts', filter: { type: 'flow.executed' }, condition: { type: 'threshold', count: 3, window_minutes: 2, group_by: ['actor'] }, cooldown_minutes: 0 });
    const flow = (actor: string, time: string) => ({ type: 'flow.executed', actor: { id: actor }, occurred_at: at(time) });
    // 10:00:59.5 -> 10:02:59.4 is 119.9 s: inside 2 minutes. 10:00:59.0 -> 10:02:59.5 is 120.5 s: not.
    await ingest([flow('in', '10:00:59.500'), flow('in', '10:01:30.000'), flow('out', '10:00:59.000'), flow('out', '10:02:00.000'), flow('out', '10:02:59.500'), flow('in', '10:02:59.400')]);
    await settled();
    const list = (await alerts()).alerts;
    assert.deepEqual(list.map((a) => a.group_key), ['actor:in']);
    // Sliding on: the 'out' window now holds 10:02:00, 10:02:59.5; one more before 10:04:00 fires.
    await ingest([flow('out', '10:03:59.999')]);
    await settled();
    assert.deepEqual((await alerts()).alerts.map((a) => a.group_key), ['actor:out', 'actor:in']);
  });

  it('cooldown per rule and group: one alert, later matches counted on it, a new alert after the cooldown', async () => {
    await createRule({ name: 'Exports', filter: { type: 'data.exported' }, condition: { type: 'any', group_by: ['actor'] }, cooldown_minutes: 10 });
    const exported = (actor: string, time: string) => ({ type: 'data.exported', actor: { id: actor }, occurred_at: at(time) });
    await ingest([exported('eve', '11:00:00.000'), exported('eve', '11:01:00.000'), exported('eve', '11:09:59.999'), exported('bob', '11:02:00.000')]);
    await settled();
    let list = (await alerts()).alerts;
    assert.deepEqual(list.map((a) => [a.group_key, a.count, a.suppressed]).sort(), [['actor:bob', 1, 0], ['actor:eve', 1, 2]]);
    await ingest([exported('eve', '11:10:00.000')]);
    await settled();
    list = (await alerts()).alerts;
    assert.equal(list.filter((a) => a.group_key === 'actor:eve').length, 2);
    // A thousand more in the cooldown still make no new alert.
    await ingest(Array.from({ length: 1000 }, (_, i) => exported('eve', `11:1${1 + Math.floor(i / 200)}:00.${String(i % 200).padStart(3, '0')}`)));
    await settled();
    list = (await alerts()).alerts;
    assert.equal(list.filter((a) => a.group_key === 'actor:eve').length, 2);
    assert.equal(list.find((a) => a.group_key === 'actor:eve').suppressed, 1000);
  });

  it('survives a restart in the middle of a window without missing it or firing twice', async () => {
    await ingest(['10.1.0.1', '10.1.0.2', '10.1.0.3'].map((ip, i) => failure('trudy', ip, `12:0${i}:30.000`)));
    await settled();
    await app.close();
    app = await startApp(loadConfig({}, { ...t.config, port: 0 }), createLogger('silent'));
    await ingest([failure('trudy', '10.1.0.4', '12:05:00.000')]);
    await settled();
    assert.equal((await alerts()).alerts.length, 0);
    await ingest([failure('trudy', '10.1.0.5', '12:09:00.000')]);
    await settled();
    const list = (await alerts()).alerts;
    assert.equal(list.length, 1);
    assert.equal(list[0].count, 5);
    assert.equal(list[0].window.start, '2026-11-23T12:00:30.000Z');
    // Another restart re-reads nothing: still one alert, one alert.triggered entry.
    await app.close();
    app = await startApp(loadConfig({}, { ...t.config, port: 0 }), createLogger('silent'));
    await ingest([{ type: 'user.login', actor: { id: 'someone' } }]);
    await settled();
    assert.equal((await alerts()).alerts.length, 1);
    const triggered = await entriesOfType('alert.triggered');
    assert.equal(triggered.length, 1);
    assert.equal(triggered[0]!.id, list[0].id);
    assert.deepEqual(triggered[0]!.actor, { id: 'auditum', type: 'system' });
    assert.equal(triggered[0]!.result, 'warning', 'a fired alert reads as a warning, not a success');
    assert.equal(triggered[0]!.metadata!.count, 5);
  });

  it('an organization from before alerts gets the defaults on first use, and its history is not alerted on', async () => {
    await app.close();
    // As migration 0007 finds an older organization: history already there, no alert rules or state.
    const database = await openDatabase({ dataDir: t.dataDir, url: t.config.databaseUrl, sync: 'normal' });
    try {
      const services = await createServices(database, t.config);
      await services.store.append(t.org.id, ['10.2.0.1', '10.2.0.2', '10.2.0.3', '10.2.0.4', '10.2.0.5'].map((ip) => ({ ...failure('oscar', ip, '08:00:00.000'), result: 'failed' as const, actor: { id: 'oscar', type: 'user' as const } })));
      await sql`DELETE FROM alert_rules`.execute(database.db);
      await sql`DELETE FROM alert_state`.execute(database.db);
      await startExistingOrgs(database.db);
    } finally {
      await database.close();
    }
    app = await startApp(loadConfig({}, { ...t.config, port: 0 }), createLogger('silent'));
    await settled();
    assert.equal((await call('GET', '/v1/alert-rules')).body.rules.length, 5);
    assert.equal((await alerts()).alerts.length, 0, 'history is not alerted on');
    await ingest(['10.2.0.6', '10.2.0.7', '10.2.0.8', '10.2.0.9', '10.2.0.10'].map((ip) => failure('oscar', ip, '09:00:00.000')));
    await settled();
    assert.deepEqual((await alerts()).alerts.map((a) => [a.group_key, a.count]), [['actor:oscar', 5]]);
  });

  it('records alert.triggered and alert.acknowledged, does not evaluate them, and counts open alerts', async () => {
    await t.createUser(t.org.id, 'admin@acme.test', 'admin');
    await t.createUser(t.org.id, 'member@acme.test', 'member');
    const adminSession = await t.quietSession('admin@acme.test');
    const member = await t.quietSession('member@acme.test');
    // A rule that would match its own alert.* entries if they were evaluated.
    await createRule({ name: 'Anything in security', filter: { category: 'security' }, condition: { type: 'any' }, cooldown_minutes: 0 });
    await ingest([{ type: 'api_key.created', actor: { id: 'u1' }, target: { type: 'api_key', id: 'k1' } }]);
    await settled();
    let body = await alerts();
    assert.deepEqual(body.alerts.map((a) => a.rule.name).sort(), ['Anything in security', 'New API key']);
    assert.equal(body.open_count, 2);
    assert.equal((await entriesOfType('alert.triggered')).length, 2);

    assert.equal((await t.request('GET', '/v1/alerts', { as: member })).status, 403);
    assert.equal((await t.request('POST', `/v1/alerts/${body.alerts[0].id}/acknowledge`, { as: member })).status, 403);
    const ack = await t.request('POST', `/v1/alerts/${body.alerts[0].id}/acknowledge`, { as: adminSession });
    assert.equal(ack.status, 200, JSON.stringify(ack.body));
    assert.equal(ack.body.status, 'acknowledged');
    assert.equal(ack.body.acknowledged_by, 'admin@acme.test');
    assert.equal((await t.request('POST', `/v1/alerts/${body.alerts[0].id}/acknowledge`, { as: adminSession })).status, 409);
    await settled();
    body = await alerts();
    assert.equal(body.open_count, 1);
    assert.equal((await alerts(admin, '?status=acknowledged')).alerts.length, 1);
    assert.equal((await alerts(admin, '?status=open')).alerts.length, 1);
    const acks = await entriesOfType('alert.acknowledged');
    assert.equal(acks.length, 1);
    assert.equal(acks[0]!.actor.type, 'user');
    assert.equal(acks[0]!.actor.email, 'admin@acme.test');
    assert.equal(acks[0]!.target!.id, body.alerts.find((a) => a.status === 'acknowledged').id);
    // Still only the two alerts: the alert.* entries were not evaluated.
    assert.equal(body.alerts.length, 2);
  });

  it('fires the built-in role rule on a real role change to admin, not to member', async () => {
    await t.createUser(t.org.id, 'owner@acme.test', 'owner');
    const userId = await t.createUser(t.org.id, 'carol@acme.test', 'member');
    const owner = await t.quietSession('owner@acme.test');
    assert.equal((await t.request('PATCH', `/v1/members/${userId}`, { as: owner, body: { role: 'admin' } })).status, 200);
    await settled();
    assert.equal((await t.request('PATCH', `/v1/members/${userId}`, { as: owner, body: { role: 'member' } })).status, 200);
    await settled();
    const list = (await alerts()).alerts;
    assert.deepEqual(list.map((a) => [a.rule.name, a.group_key]), [['Someone was made owner or admin', `target:user:${userId}`]]);
  });

  describe('webhook', () => {
    let receiver: WebhookReceiver;
    beforeEach(async () => {
      receiver = await startWebhookReceiver();
    });
    afterEach(async () => {
      await receiver.stop();
    });

    const configure = async (body: Record<string, unknown> = {}) => {
      const res = await call('PUT', '/v1/alert-webhook', { body: { url: receiver.url, ...body } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body;
    };

    it('POSTs a JSON alert signed with HMAC-SHA256 over timestamp and body; the secret is shown once', async () => {
      assert.equal((await call('PUT', '/v1/alert-webhook', { body: { url: 'ftp://example.com/x' } })).status, 400);
      assert.equal((await call('GET', '/v1/alert-webhook')).status, 404);
      const configured = await configure();
      assert.match(configured.secret, /^whsec_/);
      const secret: string = configured.secret;
      const again = await call('GET', '/v1/alert-webhook');
      assert.equal(again.body.secret, undefined);
      assert.equal((await configure()).secret, undefined, 'an update keeps the secret and does not show it');
      for (const stored of await storedContents(t.config)) assert.ok(!stored.includes(secret), 'the database holds the secret in clear');

      await ingest([{ type: 'api_key.created', actor: { id: 'u9', email: 'u9@acme.test' }, target: { type: 'api_key', id: 'key-42' }, occurred_at: at('13:00:00.000') }]);
      await waitFor('one webhook', () => receiver.accepted().length === 1);
      const [hook] = receiver.accepted();
      assert.equal(hook!.headers['content-type'], 'application/json');
      assert.ok(verifySignature(String(hook!.headers['auditum-signature']), hook!.raw, secret), 'signature verifies');
      assert.ok(!verifySignature(String(hook!.headers['auditum-signature']), hook!.raw.replace('key-42', 'key-43'), secret), 'a changed body does not verify');
      assert.ok(!verifySignature(String(hook!.headers['auditum-signature']), hook!.raw, 'whsec_wrong'), 'another secret does not verify');
      const [alert] = (await alerts()).alerts;
      const entry = (await entriesOfType('api_key.created'))[0]!;
      assert.deepEqual(hook!.body, {
        type: 'alert.triggered',
        id: alert.id,
        org: { id: t.org.id, slug: 'acme' },
        rule: { id: alert.rule.id, name: 'New API key' },
        group_key: 'target:api_key:key-42',
        group_label: null,
        related: [],
        severity: 'low',
        count: 1,
        window: { start: '2026-11-23T13:00:00.000Z', end: '2026-11-23T13:00:00.000Z', minutes: null },
        first_entry_id: entry.id,
        last_entry_id: entry.id,
        link: `${app.url.replace('127.0.0.1', '127.0.0.1')}${alert.link}`,
        triggered_at: alert.created_at,
      });
      await waitFor('delivery completed', async () => (await call('GET', '/v1/alert-webhook')).body.deliveries[0]?.state === 'completed');
      assert.equal((await alerts()).alerts[0].webhook.state, 'completed');

      // Rotating gives a new secret, and the next alert is signed with it.
      const rotated = (await configure({ rotate_secret: true })).secret;
      assert.ok(rotated && rotated !== secret);
      await ingest([{ type: 'sso.enabled', actor: { id: 'u9' } }]);
      await waitFor('second webhook', () => receiver.accepted().length === 2);
      assert.ok(verifySignature(String(receiver.accepted()[1]!.headers['auditum-signature']), receiver.accepted()[1]!.raw, rotated));
    });

    it('retries with backoff while the receiver is down or answers 503, then delivers once; status is visible', async () => {
      await configure();
      await receiver.stop();
      await ingest([{ type: 'oidc.configured', actor: { id: 'u1' } }]);
      await settled();
      const [alert] = (await alerts()).alerts;
      await waitFor('two failed attempts', async () => (await app.services.jobs.get(alert.id))!.attempts >= 2);
      let delivery = (await call('GET', '/v1/alert-webhook')).body.deliveries[0];
      assert.equal(delivery.alert_id, alert.id);
      assert.match(delivery.last_error, /not reachable/);
      assert.notEqual(delivery.state, 'completed');

      await receiver.start();
      receiver.setStatus(503);
      await waitFor('a 503 answer', () => receiver.received.length >= 1);
      await waitFor('the 503 recorded', async () => /503/.test((await app.services.jobs.get(alert.id))!.lastError ?? ''));
      receiver.setStatus(200);
      await waitFor('delivered', async () => (await app.services.jobs.get(alert.id))!.state === 'completed');
      assert.equal(receiver.accepted().length, 1);
      assert.equal(receiver.accepted()[0]!.body.id, alert.id);
      delivery = (await call('GET', '/v1/alert-webhook')).body.deliveries[0];
      assert.equal(delivery.state, 'completed');
      assert.ok(delivery.attempts >= 4, `attempts ${delivery.attempts}`);
    });

    it('repeating an alert\'s follow-up after a crash (before it was marked done) records and sends nothing twice', async () => {
      await configure();
      await ingest([{ type: 'sso.disabled', actor: { id: 'u1' } }]);
      await settled();
      const [alert] = (await alerts()).alerts;
      await waitFor('delivered', async () => (await app.services.jobs.get(alert.id))?.state === 'completed');
      // As if the process died after writing the entry and queueing the job, but before marking the alert dispatched.
      await rawQuery(t.config, 'UPDATE alerts SET dispatched = 0 WHERE id = ?', [alert.id]);
      assert.equal(await app.services.alerts.dispatchPending([t.org.id]), 1);
      await settled();
      assert.equal((await entriesOfType('alert.triggered')).length, 1);
      assert.equal((await app.services.jobs.get(alert.id))!.state, 'completed');
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(receiver.received.length, 1);
      assert.equal((await alerts()).alerts.length, 1);
    });
  });

  it('keeps rules and alerts per organization', async () => {
    const beta = await t.createOrg('beta');
    const betaAdmin = (await app.services.apiKeys.create(beta.id, { name: 'admin', scopes: ['admin'] })).key;
    const mine = await createRule({ name: 'Acme only', filter: { type: 'flow.deleted' }, condition: { type: 'any' } });
    const betaRules = (await call('GET', '/v1/alert-rules', { key: betaAdmin })).body.rules;
    assert.equal(betaRules.length, 5, 'beta has its own defaults only');
    assert.ok(!betaRules.some((r: any) => r.id === mine.id));
    assert.equal((await call('PATCH', `/v1/alert-rules/${mine.id}`, { key: betaAdmin, body: { enabled: false } })).status, 404);
    assert.equal((await call('DELETE', `/v1/alert-rules/${mine.id}`, { key: betaAdmin })).status, 404);

    await ingest([{ type: 'flow.deleted', actor: { id: 'x' } }]);
    await ingest([{ type: 'flow.deleted', actor: { id: 'x' } }, { type: 'api_key.created', actor: { id: 'x' }, target: { type: 'api_key', id: 'b' } }], beta.key);
    await settled();
    await settled(beta.id);
    const acme = (await alerts()).alerts;
    const betaAlerts = (await alerts(betaAdmin)).alerts;
    assert.deepEqual(acme.map((a) => a.rule.name), ['Acme only']);
    assert.deepEqual(betaAlerts.map((a) => a.rule.name), ['New API key']);
    assert.equal((await call('GET', `/v1/alerts/${acme[0].id}`, { key: betaAdmin })).status, 404);
    assert.equal((await call('POST', `/v1/alerts/${acme[0].id}/acknowledge`, { key: betaAdmin })).status, 404);
    assert.equal((await entriesOfType('alert.triggered', beta.id)).length, 1);
  });
});

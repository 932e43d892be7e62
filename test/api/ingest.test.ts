import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sampleEvent, startTestApp, type TestApp } from '../helpers/test-app.ts';

describe('POST /v1/events', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  /** Entries stored by these tests: alerts the built-in rules raise meanwhile (alert.triggered) are not counted. */
  async function storedCount(): Promise<number> {
    const entries = await t.app.services.store.bySeq(t.org.id, 0, 1_000_000);
    return entries.filter((e) => e.type !== 'alert.triggered').length;
  }

  it('stores one event and returns id, seq and hash after commit', async () => {
    const res = await t.request('POST', '/v1/events', { body: sampleEvent({ action: 'Signed in', ip: '2001:db8::1' }) });
    assert.equal(res.status, 201);
    const [ack] = res.body.events;
    assert.match(ack.id, /^[0-9a-f-]{36}$/);
    assert.equal(ack.seq, 1);
    assert.match(ack.hash, /^[0-9a-f]{64}$/);
    const stored = await t.request('GET', `/v1/events/${ack.id}`);
    assert.equal(stored.status, 200);
    assert.equal(stored.body.category, 'user', 'category comes from the catalogue');
    assert.equal(stored.body.result, 'success');
    assert.equal(stored.body.actor.type, 'user');
    assert.equal(stored.body.ip, '2001:db8::1');
    assert.equal(stored.body.hash, ack.hash);
  });

  it('stores a batch in order with consecutive seqs', async () => {
    const before = (await t.app.services.store.head(t.org.id)).lastSeq;
    const events = Array.from({ length: 20 }, (_, i) => sampleEvent({ type: 'flow.created', action: `flow ${i}` }));
    const res = await t.request('POST', '/v1/events', { body: { events } });
    assert.equal(res.status, 201);
    assert.deepEqual(res.body.events.map((e: { seq: number }) => e.seq), events.map((_, i) => before + i + 1));
  });

  it('keeps the full event shape', async () => {
    const event = {
      id: 'client-key-full',
      type: 'api_key.created',
      category: 'security',
      action: 'Created API key "ci"',
      result: 'approved',
      actor: { id: 'key_1', type: 'api_key', name: 'deploy bot', on_behalf_of: { id: 'user-9', email: 'lin@example.com' } },
      project: { id: 'proj-1', name: 'Checkout' },
      target: { type: 'api_key', id: 'key_2', name: 'ci' },
      ip: '10.0.0.7',
      user_agent: 'curl/8.0',
      request: { method: 'post', path: '/api/keys', body: { name: 'ci', list: [1, 2.5, null] }, status: 201, response: { ok: true } },
      metadata: { scopes: ['read'], nested: { deep: { 'ключ': 'значение ✓' } } },
      occurred_at: '2026-01-02T03:04:05.678+02:00',
    };
    const res = await t.request('POST', '/v1/events', { body: event });
    assert.equal(res.status, 201);
    const stored = (await t.request('GET', '/v1/events/client-key-full')).body;
    assert.equal(stored.id, 'client-key-full');
    assert.deepEqual(stored.actor, event.actor);
    assert.deepEqual(stored.project, event.project);
    assert.deepEqual(stored.target, event.target);
    assert.deepEqual(stored.request, { ...event.request, method: 'POST' });
    assert.deepEqual(stored.metadata, event.metadata);
    assert.equal(stored.occurred_at, '2026-01-02T01:04:05.678Z');
    assert.equal(stored.result, 'approved');
    assert.equal(stored.org_id, t.org.id);
  });

  it('is idempotent on the client id, also within one batch', async () => {
    const first = await t.request('POST', '/v1/events', { body: sampleEvent({ id: 'idem-1' }) });
    const before = (await t.app.services.store.head(t.org.id)).lastSeq;
    const again = await t.request('POST', '/v1/events', { body: { events: [sampleEvent({ id: 'idem-1', action: 'different' }), sampleEvent({ id: 'idem-2' }), sampleEvent({ id: 'idem-2' })] } });
    assert.equal(again.status, 201);
    const [dup, fresh, freshDup] = again.body.events;
    assert.equal(dup.seq, first.body.events[0].seq);
    assert.equal(dup.hash, first.body.events[0].hash);
    assert.equal(dup.duplicate, true);
    assert.equal(fresh.duplicate, undefined);
    assert.equal(freshDup.seq, fresh.seq);
    // One new entry; alerts raised meanwhile by earlier tests' entries (alert.triggered) are not this batch's.
    const added = (await t.app.services.store.bySeq(t.org.id, before, 100)).filter((e) => e.type !== 'alert.triggered');
    assert.deepEqual(added.map((e) => e.id), ['idem-2']);
  });

  it('rejects a batch with any invalid event, naming index and field, and stores nothing', async () => {
    const before = await storedCount();
    const res = await t.request('POST', '/v1/events', {
      body: { events: [sampleEvent(), sampleEvent({ type: 'nodot' }), sampleEvent(), sampleEvent({ ip: '300.1.1.1', extra: true })] },
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'invalid_request');
    const details = res.body.error.details.map((d: { index: number; field: string }) => `${d.index}:${d.field}`).sort();
    assert.deepEqual(details, ['1:type', '3:extra', '3:ip']);
    assert.equal(await storedCount(), before);
  });

  const badBodies: Array<[string, unknown, string]> = [
    ['missing actor', { type: 'user.login' }, 'actor'],
    ['actor without id', sampleEvent({ actor: {} }), 'actor.id'],
    ['wrong type for type', sampleEvent({ type: 42 }), 'type'],
    ['uppercase type', sampleEvent({ type: 'User.Login' }), 'type'],
    ['type too long', sampleEvent({ type: `a.${'b'.repeat(130)}` }), 'type'],
    ['unknown result', sampleEvent({ result: 'maybe' }), 'result'],
    ['unknown actor type', sampleEvent({ actor: { id: 'x', type: 'robot' } }), 'actor.type'],
    ['email too long', sampleEvent({ actor: { id: 'x', email: `${'a'.repeat(320)}@example.com` } }), 'actor.email'],
    ['control characters in email', sampleEvent({ actor: { id: 'x', email: 'a\r\n@example.com' } }), 'actor.email'],
    ['invalid IPv4', sampleEvent({ ip: '1.2.3' }), 'ip'],
    ['invalid timestamp', sampleEvent({ occurred_at: '2026-13-40T00:00:00Z' }), 'occurred_at'],
    ['timestamp without zone', sampleEvent({ occurred_at: '2026-01-01T00:00:00' }), 'occurred_at'],
    ['timestamp far in the future', sampleEvent({ occurred_at: new Date(Date.now() + 3_600_000).toISOString() }), 'occurred_at'],
    ['control characters in actor id', sampleEvent({ actor: { id: 'a\u0000b' } }), 'actor.id'],
    ['control characters in action', sampleEvent({ action: 'bell\u0007' }), 'action'],
    ['action too long', sampleEvent({ action: 'x'.repeat(1001) }), 'action'],
    ['metadata not an object', sampleEvent({ metadata: [1, 2] }), 'metadata'],
    ['metadata over 32 KiB', sampleEvent({ metadata: { blob: 'x'.repeat(33 * 1024) } }), 'metadata'],
    ['metadata nested 17 levels', sampleEvent({ metadata: JSON.parse('{"a":'.repeat(17) + '1' + '}'.repeat(17)) }), 'metadata'],
    ['lone surrogate in metadata', sampleEvent({ metadata: { s: '\ud800' } }), 'metadata.s'],
    ['request without path', sampleEvent({ request: { method: 'GET' } }), 'request.path'],
    ['unknown top-level field', sampleEvent({ severity: 'high' }), 'severity'],
    ['client id with spaces', sampleEvent({ id: 'has space' }), 'id'],
    ['empty batch', { events: [] }, 'events'],
    ['too many events', { events: Array.from({ length: 1001 }, () => sampleEvent()) }, 'events'],
    ['a JSON array', [sampleEvent()], '(body)'],
  ];
  for (const [name, body, field] of badBodies) {
    it(`rejects ${name} with a 400 naming ${field}`, async () => {
      const before = await storedCount();
      const res = await t.request('POST', '/v1/events', { body });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(typeof res.body.error.message, 'string');
      assert.ok(
        res.body.error.details.some((d: { field: string }) => d.field === field),
        `expected a detail for ${field}, got ${JSON.stringify(res.body.error.details)}`,
      );
      assert.equal(await storedCount(), before);
    });
  }

  const badRaw: Array<[string, string, string, number, string]> = [
    ['malformed JSON', '{"type":"user.login",', 'application/json', 400, 'invalid_json'],
    ['empty body', '', 'application/json', 400, 'invalid_json'],
    ['__proto__ key', '{"type":"user.login","actor":{"id":"a"},"metadata":{"__proto__":{"admin":true}}}', 'application/json', 400, 'invalid_json'],
    ['constructor.prototype key', '{"type":"user.login","actor":{"id":"a"},"metadata":{"constructor":{"prototype":{"x":1}}}}', 'application/json', 400, 'invalid_json'],
    ['non-JSON content type', 'type=user.login', 'application/x-www-form-urlencoded', 415, 'unsupported_media_type'],
    ['hostile nesting', '{"type":"user.login","actor":{"id":"a"},"metadata":{"a":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}}', 'application/json', 400, 'invalid_request'],
  ];
  for (const [name, rawBody, contentType, status, code] of badRaw) {
    it(`rejects ${name} with ${status} ${code}`, async () => {
      const before = await storedCount();
      const res = await t.request('POST', '/v1/events', { rawBody, headers: { 'content-type': contentType } });
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.equal(res.body.error.code, code);
      assert.equal(await storedCount(), before);
    });
  }

  it('answers 413 to a body over the limit', async () => {
    const small = await startTestApp({ bodyLimit: 4096 });
    try {
      const res = await small.request('POST', '/v1/events', { body: sampleEvent({ action: 'x'.repeat(900), metadata: { pad: 'y'.repeat(5000) } }) });
      assert.equal(res.status, 413);
      assert.equal(res.body.error.code, 'payload_too_large');
      assert.equal((await small.app.services.store.head(small.org.id)).lastSeq, 0);
    } finally {
      await small.close();
    }
  });

  it('treats SQL-looking and script-looking text as plain data', async () => {
    const action = "'; DROP TABLE events; -- <script>alert(1)</script>";
    const res = await t.request('POST', '/v1/events', { body: sampleEvent({ action, metadata: { q: "' OR 1=1 --" } }) });
    assert.equal(res.status, 201);
    const stored = await t.request('GET', `/v1/events/${res.body.events[0].id}`);
    assert.equal(stored.body.action, action);
  });

  it('requires a valid API key with the events:write scope', async () => {
    assert.equal((await t.request('POST', '/v1/events', { key: null, body: sampleEvent() })).status, 401);
    assert.equal((await t.request('POST', '/v1/events', { key: 'adt_000000000000_' + 'x'.repeat(43), body: sampleEvent() })).status, 401);
    const reader = await t.createOrg('reader-only', ['events:read']);
    const res = await t.request('POST', '/v1/events', { key: reader.key, body: sampleEvent() });
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'forbidden');
  });

  it('rejects revoked and expired keys at once', async () => {
    const org = await t.createOrg('revoking');
    assert.equal((await t.request('POST', '/v1/events', { key: org.key, body: sampleEvent() })).status, 201);
    const [info] = await t.app.services.apiKeys.list(org.id);
    await t.app.services.apiKeys.revoke(org.id, info!.id);
    const res = await t.request('POST', '/v1/events', { key: org.key, body: sampleEvent() });
    assert.equal(res.status, 401);
    assert.match(res.body.error.message, /revoked/);
    const { key } = await t.app.services.apiKeys.create(org.id, { scopes: ['events:write'], expiresAt: Date.now() - 1 });
    assert.equal((await t.request('POST', '/v1/events', { key, body: sampleEvent() })).status, 401);
  });

  it('answers unknown routes with the JSON error shape', async () => {
    const res = await t.request('GET', '/v1/nothing-here');
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'not_found');
  });
});

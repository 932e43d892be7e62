import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { startOtlpReceiver, waitFor, type OtlpReceiver, type ReceivedRecord } from '../helpers/otlp-receiver.ts';
import { makeSelfSignedCa } from '../helpers/self-signed.ts';
import { reopenTestApp, sampleEvent, startTestApp, type TestApp } from '../helpers/test-app.ts';

const FAST_RETRY = { otelRetryBaseMs: 50, otelRetryMaxMs: 400 };

describe('OTLP export', () => {
  let t: TestApp;
  let receiver: OtlpReceiver;
  let admin: string;
  beforeEach(async () => {
    t = await startTestApp(FAST_RETRY);
    receiver = await startOtlpReceiver();
    admin = (await t.app.services.apiKeys.create(t.org.id, { name: 'admin', scopes: ['admin'] })).key;
  });
  afterEach(async () => {
    await t.close();
    await receiver.stop();
  });

  const configure = async (body: Record<string, unknown>, key = admin) => {
    const res = await t.request('PUT', '/v1/otel-export', { key, body: { endpoint_url: receiver.url, ...body } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };
  const status = async (key = admin) => (await t.request('GET', '/v1/otel-export', { key })).body.status;
  const post = async (count: number, key = t.org.key, extra: Record<string, unknown> = {}) => {
    for (let i = 0; i < count; i += 1000) {
      const events = Array.from({ length: Math.min(1000, count - i) }, (_, j) => sampleEvent({ action: `n${i + j}`, ...extra }));
      assert.equal((await t.request('POST', '/v1/events', { key, body: { events } })).status, 201);
    }
  };
  const seqs = (records: ReceivedRecord[]) => records.map((r) => r.attributes['audit.seq'] as number);
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
  /** Waits until every entry of the org up to its head was accepted, then checks each arrived exactly once, in order. */
  const expectAllDelivered = async (fromSeq = 1) => {
    const head = (await t.app.services.store.head(t.org.id)).lastSeq;
    await waitFor(`seq ${head} at the receiver`, () => seqs(receiver.acceptedRecords()).includes(head));
    assert.deepEqual(seqs(receiver.acceptedRecords()), range(fromSeq, head));
    await waitFor('pending 0', async () => (await status()).pending === 0);
  };

  it('rejects bad configuration with a 400 naming the field, and needs the admin scope', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ max_batch_size: 0 }, 'max_batch_size'],
      [{ max_batch_size: 1001 }, 'max_batch_size'],
      [{ max_batch_size: 2.5 }, 'max_batch_size'],
      [{ endpoint_url: 'ftp://example.com/v1/logs' }, 'endpoint_url'],
      [{ endpoint_url: 'not a url' }, 'endpoint_url'],
      [{ endpoint_url: 'https://user:pw@example.com/v1/logs' }, 'endpoint_url'],
      [{ protocol: 'grpc' }, 'protocol'],
      [{ start: 'yesterday' }, 'start'],
      [{ enabled: 'yes' }, 'enabled'],
      [{ headers: { 'bad name': 'x' } }, 'headers.bad name'],
      [{ headers: { 'X-Ok': 'line\nbreak' } }, 'headers.X-Ok'],
      [{ headers: { 'X-New': '****' } }, 'headers.X-New'],
      [{ colour: 'blue' }, 'colour'],
    ];
    for (const [body, field] of cases) {
      const res = await t.request('PUT', '/v1/otel-export', { key: admin, body: { endpoint_url: receiver.url, ...body } });
      assert.equal(res.status, 400, `${JSON.stringify(body)} -> ${res.status}`);
      assert.ok(res.body.error.details.some((d: { field: string }) => d.field === field), `${JSON.stringify(body)} names ${field}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.error.message, new RegExp(field.replace('.', '\\.')));
    }
    assert.equal((await t.request('GET', '/v1/otel-export', { key: admin })).status, 404, 'nothing was stored');
    assert.equal((await t.request('GET', '/v1/otel-export')).status, 403, 'events:read/write is not enough');
    assert.equal((await t.request('PUT', '/v1/otel-export', { body: { endpoint_url: receiver.url } })).status, 403);
  });

  it('keeps header values secret: encrypted at rest, masked, kept when sent masked, and sent to the receiver', async () => {
    const view = await configure({ headers: { Authorization: 'Bearer s3cret-token', 'X-Tenant': 'acme' }, max_batch_size: 10 });
    assert.deepEqual(view.headers, { Authorization: '****', 'X-Tenant': '****' });
    assert.equal(view.protocol, 'http/protobuf');
    assert.equal(view.enabled, true);
    await waitFor('the configured event delivered', async () => (await status()).pending === 0);
    await t.app.close();
    // The database file (and its WAL) never holds the value in clear.
    for (const file of fs.readdirSync(t.dataDir).filter((f) => f.startsWith('auditum.db'))) {
      assert.ok(!fs.readFileSync(path.join(t.dataDir, file)).includes('s3cret-token'), `${file} holds the secret`);
    }
    t = { ...t, ...(await reopenTestApp(t)) };
    receiver.accepted.length = 0;
    const before = (await t.app.services.store.head(t.org.id)).lastSeq;
    await configure({ headers: { Authorization: '****', 'X-Tenant': 'acme-2' }, max_batch_size: 10, start: 'now' });
    await post(3);
    await expectAllDelivered(before + 1);
    for (const request of receiver.accepted) {
      assert.equal(request.headers.authorization, 'Bearer s3cret-token');
      assert.equal(request.headers['x-tenant'], 'acme-2');
      assert.equal(request.contentType, 'application/x-protobuf');
    }
    // The change is in the audit log, with header names but never values.
    const log = await t.request('GET', '/v1/events?type=otel_export.configured');
    assert.equal(log.body.events.length, 2);
    assert.deepEqual(log.body.events[0].metadata.header_names, ['Authorization', 'X-Tenant']);
    assert.ok(!JSON.stringify(log.body).includes('s3cret'));
  });

  it('delivers every entry once, in seq order, one per request with max_batch_size 1', async () => {
    await post(5);
    await configure({ max_batch_size: 1, start: '1970-01-01T00:00:00Z' });
    await post(5);
    await expectAllDelivered(1);
    assert.ok(receiver.accepted.every((r) => r.records.length === 1));
    const s = await status();
    assert.equal(s.state, 'ok');
    assert.equal(s.last_error, null);
    assert.ok(s.last_success_at);
  });

  it('sends batches of up to 1000 over http/json, starting "now"', async () => {
    await post(7); // before the configuration: not sent
    await configure({ max_batch_size: 1000, protocol: 'http/json' });
    await post(2500);
    await expectAllDelivered(8);
    assert.ok(receiver.accepted.every((r) => r.records.length <= 1000 && r.contentType === 'application/json'));
    assert.ok(receiver.accepted.some((r) => r.records.length === 1000), 'full batches are used when entries are waiting');
  });

  it('delivers erased fields as the marker, naming them in audit.erased_fields', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    await post(1, t.org.key, { actor: { id: 'gone-1', email: 'gone@example.com' }, ip: '198.51.100.99' });
    await t.createUser(t.org.id, 'owner@acme.test', 'owner');
    const owner = await t.quietSession('owner@acme.test');
    const asked = await t.request('POST', '/v1/erasures', { as: owner, body: { subject: { actor_id: 'gone-1' }, reason: 'test' } });
    assert.equal(asked.status, 202, JSON.stringify(asked.body));
    const get = async () => (await t.request('GET', `/v1/erasures/${asked.body.id}`, { as: owner })).body;
    assert.equal((await waitFor('the erasure', async () => ((await get()).status === 'completed' ? get() : undefined))).result.entries, 1);
    await configure({ start: since });
    const record = await waitFor('the erased entry', () => receiver.acceptedRecords().find((r) => r.attributes['audit.seq'] === 1));
    assert.equal(record.attributes['enduser.id'], '[erased]');
    assert.equal(record.attributes['user.email'], '[erased]');
    assert.equal(record.attributes['client.address'], '[erased]');
    assert.deepEqual(record.attributes['audit.erased_fields'], ['actor.id', 'actor.email', 'ip']);
  });

  it('maps each entry field by field (protobuf and JSON alike)', async () => {
    const event = {
      type: 'api_key.created',
      category: 'security',
      action: 'Created API key "ci"',
      result: 'denied',
      actor: { id: 'key_1', type: 'api_key', email: 'bot@example.com' },
      project: { id: 'proj-1', name: 'Checkout' },
      target: { type: 'api_key', id: 'key_2' },
      ip: '10.0.0.7',
      user_agent: 'curl/8.0',
      request: { method: 'post', path: '/api/keys', status: 201 },
      metadata: { scopes: ['read', 'write'], nested: { deep: { n: 3, ok: true } } },
      occurred_at: '2026-01-02T03:04:05.678Z',
    };
    for (const protocol of ['http/protobuf', 'http/json']) {
      receiver.accepted.length = 0;
      await configure({ protocol, start: 'now' });
      const ack = (await t.request('POST', '/v1/events', { body: event })).body.events[0];
      const stored = (await t.request('GET', `/v1/events/${ack.id}`)).body;
      const record = await waitFor('the record', () => receiver.acceptedRecords().find((r) => r.attributes['event.id'] === ack.id));
      assert.equal(record.timeUnixNano, '1767323045678000000', protocol);
      assert.equal(record.observedTimeUnixNano, String(BigInt(Date.parse(stored.received_at)) * 1_000_000n));
      assert.equal(record.severityNumber, 13);
      assert.equal(record.severityText, 'WARN');
      assert.equal(record.eventName, 'api_key.created');
      assert.equal(record.body, 'Created API key "ci"');
      assert.deepEqual(record.attributes, {
        'event.id': ack.id,
        'event.type': 'api_key.created',
        'event.category': 'security',
        'audit.result': 'denied',
        'audit.seq': ack.seq,
        'audit.hash': ack.hash,
        'enduser.id': 'key_1',
        'user.email': 'bot@example.com',
        'actor.type': 'api_key',
        'project.id': 'proj-1',
        'target.type': 'api_key',
        'target.id': 'key_2',
        'client.address': '10.0.0.7',
        'user_agent.original': 'curl/8.0',
        'http.request.method': 'POST',
        'url.path': '/api/keys',
        'http.response.status_code': 201,
        'audit.metadata': { scopes: ['read', 'write'], nested: { deep: { n: 3, ok: true } } },
      });
      assert.deepEqual(record.resource, { 'service.name': 'auditum', 'auditum.org.id': t.org.id, 'auditum.org.slug': 'acme' });
      assert.equal(record.scope.name, 'auditum');
    }
    // Severity for the other results, and body falling back to the type.
    receiver.accepted.length = 0;
    await post(1, t.org.key, { result: 'failed', action: undefined });
    await post(1, t.org.key, { result: 'approved' });
    // (The alert the API key entry above raised may be delivered meanwhile: only the two posted entries count.)
    const posted = () => receiver.acceptedRecords().filter((r) => r.attributes['event.type'] !== 'alert.triggered');
    await waitFor('two records', () => posted().length >= 2);
    const [failed, approved] = posted();
    assert.deepEqual([failed!.severityNumber, failed!.severityText, failed!.body], [17, 'ERROR', 'user.login']);
    assert.deepEqual([approved!.severityNumber, approved!.severityText], [9, 'INFO']);
    assert.equal(failed!.attributes['audit.metadata'], undefined);
  });

  it('loses nothing while the receiver is down, and catches up when it is back', async () => {
    await configure({ max_batch_size: 4 });
    const firstSeq = (await t.app.services.store.head(t.org.id)).lastSeq;
    await receiver.stop();
    await post(10);
    const failing = await waitFor('network error status', async () => {
      const s = await status();
      return s.state === 'failing' ? s : null;
    });
    assert.equal(failing.last_error.kind, 'network');
    assert.equal(failing.last_error.http_status, null);
    // One wording for refused, reset and unreachable: the status does not tell open ports from closed ones.
    assert.equal(failing.last_error.message, 'could not connect');
    assert.ok(failing.pending >= 10);
    await receiver.start();
    await expectAllDelivered(firstSeq);
    assert.equal((await status()).last_error, null);
  });

  it('waits as long as Retry-After asks after a 503, then resends the same batch', async () => {
    const times: number[] = [];
    receiver.setResponder((_r, i) => {
      times.push(Date.now());
      return i === 0 ? { status: 503, headers: { 'retry-after': '1' }, body: 'overloaded' } : { status: 200 };
    });
    await configure({ start: '1970-01-01T00:00:00Z' });
    await post(3);
    const s = await waitFor('503 status', async () => ((await status()).last_error?.http_status === 503 ? status() : null));
    assert.equal(s.last_error.message, 'HTTP 503 Service Unavailable', "the status text, not the receiver's body");
    await expectAllDelivered(1);
    assert.ok(times[1]! - times[0]! >= 950, `retried after ${times[1]! - times[0]!} ms`);
    assert.deepEqual(seqs(receiver.requests[1]!.records).slice(0, seqs(receiver.requests[0]!.records).length), seqs(receiver.requests[0]!.records));
  });

  it('shows a 400 as the error until the configuration is fixed, then delivers', async () => {
    receiver.setResponder((r) =>
      r.headers['x-token'] === 'good' ? { status: 200 } : { status: 400, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: 3, message: 'bad token' }) },
    );
    await configure({ headers: { 'X-Token': 'wrong' }, start: '1970-01-01T00:00:00Z' });
    await post(4);
    const s = await waitFor('400 status', async () => ((await status()).state === 'failing' ? status() : null));
    assert.deepEqual([s.last_error.http_status, s.last_error.kind, s.last_error.message], [400, 'http', 'HTTP 400 Bad Request']);
    const attempts = receiver.requests.length;
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(receiver.requests.length, attempts, 'a 4xx is not retried quickly');
    await configure({ headers: { 'X-Token': 'good' } });
    await expectAllDelivered(1);
    assert.equal((await status()).state, 'ok');
  });

  it('records partial success (rejected log records) and moves on', async () => {
    receiver.setResponder(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ partialSuccess: { rejectedLogRecords: 2, errorMessage: 'too old' } }) }));
    await configure({ protocol: 'http/json', start: '1970-01-01T00:00:00Z' });
    await post(3);
    await expectAllDelivered(1);
    const s = await status();
    assert.ok(s.rejected_log_records.total >= 2);
    assert.equal(s.rejected_log_records.last_count, 2);
    assert.equal(s.rejected_log_records.last_message, 'too old');
  });

  it('resumes after a restart without skipping or resending accepted entries', async () => {
    let accept = 2;
    receiver.setResponder(() => (accept-- > 0 ? { status: 200 } : { status: 503, headers: { 'retry-after': '0' } }));
    await configure({ max_batch_size: 5, start: '1970-01-01T00:00:00Z' });
    await post(30);
    await waitFor('a refused batch', () => receiver.requests.length > 2);
    await t.app.close();
    receiver.setResponder(() => ({ status: 200 }));
    t = { ...t, ...(await reopenTestApp(t)) };
    await post(5);
    await expectAllDelivered(1);
  });

  it('keeps organizations apart', async () => {
    const other = await startOtlpReceiver();
    try {
      const beta = await t.createOrg('beta', ['admin', 'events:write', 'events:read']);
      await configure({ start: '1970-01-01T00:00:00Z' });
      assert.equal((await t.request('GET', '/v1/otel-export', { key: beta.key })).status, 404, "beta does not see acme's settings");
      const res = await t.request('PUT', '/v1/otel-export', { key: beta.key, body: { endpoint_url: other.url, start: '1970-01-01T00:00:00Z' } });
      assert.equal(res.status, 200);
      await post(3);
      await post(4, beta.key);
      await expectAllDelivered(1);
      const betaHead = (await t.app.services.store.head(beta.id)).lastSeq;
      await waitFor('beta delivered', () => seqs(other.acceptedRecords()).includes(betaHead));
      assert.ok(receiver.acceptedRecords().every((r) => r.resource['auditum.org.id'] === t.org.id));
      assert.ok(other.acceptedRecords().every((r) => r.resource['auditum.org.id'] === beta.id && r.resource['auditum.org.slug'] === 'beta'));
      assert.deepEqual(seqs(other.acceptedRecords()), range(1, betaHead));
    } finally {
      await other.stop();
    }
  });

  it('sends a marked test record on request and reports the outcome', async () => {
    assert.equal((await t.request('POST', '/v1/otel-export/test', { key: admin })).status, 404);
    await configure({ enabled: false });
    const ok = await t.request('POST', '/v1/otel-export/test', { key: admin });
    assert.deepEqual(ok.body, { ok: true, http_status: 200, message: null, rejected_log_records: 0 });
    const [record] = receiver.acceptedRecords();
    assert.equal(record!.eventName, 'auditum.otel_export.test');
    assert.equal(record!.attributes['auditum.test'], true);
    assert.match(String(record!.body), /test record/);
    assert.equal((await status()).state, 'disabled');
    receiver.setResponder(() => ({ status: 401, body: 'who are you' }));
    const bad = await t.request('POST', '/v1/otel-export/test', { key: admin });
    assert.deepEqual(bad.body, { ok: false, http_status: 401, message: 'HTTP 401 Unauthorized', rejected_log_records: 0 });
    await receiver.stop();
    const down = await t.request('POST', '/v1/otel-export/test', { key: admin });
    assert.equal(down.body.ok, false);
    assert.equal(down.body.http_status, null);
    assert.equal(down.body.message, 'could not connect');
    await receiver.start();
  });
});

describe('OTLP export over https with a self-signed CA', () => {
  it('trusts the CA given in AUDITUM_OTEL_CA_FILE, and refuses the receiver without it', async () => {
    const tls = makeSelfSignedCa();
    const receiver = await startOtlpReceiver({ tls });
    const trusting = await startTestApp({ ...FAST_RETRY, otelCaFile: tls.caFile });
    const untrusting = await startTestApp(FAST_RETRY);
    try {
      for (const t of [trusting, untrusting]) {
        const admin = (await t.app.services.apiKeys.create(t.org.id, { name: 'admin', scopes: ['admin'] })).key;
        const put = await t.request('PUT', '/v1/otel-export', { key: admin, body: { endpoint_url: receiver.url, enabled: true } });
        assert.equal(put.status, 200, JSON.stringify(put.body));
        const events = ['tls-1', 'tls-2', 'tls-3'].map((action) => sampleEvent({ action: `${t.org.id}:${action}` }));
        assert.equal((await t.request('POST', '/v1/events', { body: { events } })).status, 201);
      }
      const fromTrusting = () => receiver.acceptedRecords().filter((r) => String(r.body).includes(`${trusting.org.id}:tls-`));
      await waitFor('3 records over https', () => fromTrusting().length === 3);
      const orgs = new Set(receiver.requests.flatMap((r) => r.records.map((rec) => rec.resource['auditum.org.id'])));
      assert.deepEqual([...orgs], [trusting.org.id], 'only the server that trusts the CA got through');

      const admin = (await untrusting.app.services.apiKeys.create(untrusting.org.id, { name: 'reader', scopes: ['admin'] })).key;
      const failing = await waitFor('certificate error', async () => {
        const s = (await untrusting.request('GET', '/v1/otel-export', { key: admin })).body.status;
        return s.state === 'failing' ? s : null;
      });
      assert.equal(failing.last_error.kind, 'network');
      assert.match(failing.last_error.message, /certificate|self[- ]signed|issuer/i);
    } finally {
      await trusting.close();
      await untrusting.close();
      await receiver.stop();
    }
  });
});

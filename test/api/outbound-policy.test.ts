import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { startContactRecorder, type ContactRecorder } from '../helpers/contact-recorder.ts';
import { waitFor } from '../helpers/otlp-receiver.ts';
import { reopenTestApp, startTestApp, type TestApp } from '../helpers/test-app.ts';
import { rawQuery, storedContents } from '../helpers/test-database.ts';

const POLICY = /is not allowed by the outbound policy \(AUDITUM_OUTBOUND_ALLOW\/DENY\)/;
const FAST = { otelRetryBaseMs: 50, otelRetryMaxMs: 400, jobRetryBaseMs: 50 };
const SECRET_BODY = 'internal-service-secret-7f3a9c';

/** Appends one entry with the org's key. */
async function ingestOne(t: TestApp) {
  const res = await t.request('POST', '/v1/events', { body: { events: [{ type: 'user.login', actor: { id: 'a' } }] } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
}

/** Loopback in the forms an attacker would try: each reaches 127.0.0.1 (or ::1) if let through. */
function loopbackHosts(listener: ContactRecorder) {
  return ['127.0.0.1', '0x7f000001', '2130706433', '[::ffff:127.0.0.1]', ...(listener.ipv6 ? ['[::1]'] : [])];
}

describe('outbound policy', () => {
  let t: TestApp;
  let listener: ContactRecorder;
  let admin: string;
  /** (Re)starts the app with `overrides`; the listener and the admin key are per test. */
  const start = async (overrides: Record<string, unknown>) => {
    t = await startTestApp({ ...FAST, ...overrides });
    admin = (await t.app.services.apiKeys.create(t.org.id, { name: 'admin', scopes: ['admin'] })).key;
  };
  const call = (method: string, urlPath: string, body?: unknown, key = admin) => t.request(method, urlPath, { key, body });
  const testExport = async (endpoint_url: string) => {
    const res = await call('POST', '/v1/otel-export/test', { endpoint_url });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };
  /** Fires the built-in "New API key" rule and waits until its webhook delivery has ended one way or the other. */
  const fireAlert = async (state: 'completed' | 'failed') => {
    const event = { type: 'api_key.created', actor: { id: 'u9' }, target: { type: 'api_key', id: `k-${Date.now()}` } };
    assert.equal((await t.request('POST', '/v1/events', { body: { events: [event] } })).status, 201);
    const alert = await waitFor('an alert', async () => (await call('GET', '/v1/alerts')).body.alerts[0]);
    return waitFor(`webhook ${state}`, async () => {
      const job = await t.app.services.jobs.get(alert.id);
      return job?.state === state ? job : null;
    });
  };

  beforeEach(async () => {
    listener = await startContactRecorder();
  });
  afterEach(async () => {
    await t?.close();
    await listener.close();
  });

  describe('default policy (nothing allowed)', () => {
    beforeEach(() => start({ outboundAllow: '' }));

    it('refuses to save OTLP and webhook URLs whose literal host is loopback, private, link-local or metadata', async () => {
      const urls = [
        ...loopbackHosts(listener).map((host) => listener.url(host)),
        'http://169.254.169.254/latest/meta-data/',
        'http://[fd00:ec2::254]/latest/meta-data/',
        'http://[::ffff:169.254.169.254]/',
        'http://10.0.0.1/v1/logs',
        'http://0.0.0.0:4318/v1/logs',
      ];
      for (const url of urls) {
        // enabled: false, so that even a server without the policy would not start sending.
        const otel = await call('PUT', '/v1/otel-export', { endpoint_url: url, enabled: false });
        assert.equal(otel.status, 400, `${url}: ${JSON.stringify(otel.body)}`);
        assert.equal(otel.body.error.details[0].field, 'endpoint_url');
        assert.match(otel.body.error.message, POLICY);
        const hook = await call('PUT', '/v1/alert-webhook', { url, enabled: false });
        assert.equal(hook.status, 400, `${url}: ${JSON.stringify(hook.body)}`);
        assert.equal(hook.body.error.details[0].field, 'url');
        assert.match(hook.body.error.message, POLICY);
      }
      const loopback = await call('PUT', '/v1/otel-export', { endpoint_url: listener.url(), enabled: false });
      assert.equal(
        loopback.body.error.details[0].message,
        'address 127.0.0.1 is not allowed by the outbound policy (AUDITUM_OUTBOUND_ALLOW/DENY)',
      );
      assert.equal((await call('GET', '/v1/otel-export')).status, 404, 'nothing was stored');
      assert.equal((await call('GET', '/v1/alert-webhook')).status, 404, 'nothing was stored');
      assert.deepEqual(listener.connections, []);
    });

    it('the OTLP test refuses denied addresses (numeric forms, localhost, metadata) without connecting', async () => {
      const urls = [
        ...loopbackHosts(listener).map((host) => listener.url(host)),
        listener.url('localhost'),
        'http://169.254.169.254/v1/logs',
      ];
      for (const url of urls) {
        const answer = await testExport(url);
        assert.equal(answer.ok, false, url);
        assert.equal(answer.http_status, null, url);
        assert.match(answer.message, POLICY, url);
        assert.equal(answer.rejected_log_records, 0);
      }
      assert.deepEqual(listener.connections, [], 'no connection was attempted');
    });

    it('delivery to a host name resolving to loopback is refused after the lookup, and never connects', async () => {
      const endpoint_url = listener.url('localhost');
      const put = await call('PUT', '/v1/otel-export', { endpoint_url, start: '1970-01-01T00:00:00Z' });
      assert.equal(put.status, 200, 'a host name is only resolved when sending');
      await ingestOne(t);
      const status = await waitFor('delivery failing', async () => {
        const s = (await call('GET', '/v1/otel-export')).body.status;
        return s.state === 'failing' ? s : null;
      });
      assert.equal(status.last_error.kind, 'network');
      assert.match(status.last_error.message, /^address (127\.0\.0\.1|::1) is not allowed by the outbound policy/);
      assert.deepEqual(listener.connections, []);
    });

    it('an alert webhook to a host name resolving to loopback fails for good without connecting', async () => {
      assert.equal((await call('PUT', '/v1/alert-webhook', { url: listener.url('localhost', '/hooks/x') })).status, 200);
      const job = await fireAlert('failed');
      assert.match(job.lastError ?? '', /^webhook not sent: address (127\.0\.0\.1|::1) is not allowed by the outbound/);
      assert.equal(job.attempts, 1, 'a refusal is not retried');
      const delivery = (await call('GET', '/v1/alert-webhook')).body.deliveries[0];
      assert.match(delivery.last_error, POLICY);
      assert.deepEqual(listener.connections, []);
    });

    it('the outbound client refuses a metadata address itself, before connecting', async () => {
      const url = 'http://169.254.169.254/latest/meta-data/';
      const result = await t.app.services.outbound.post({ url, headers: {}, body: '', timeoutMs: 1000 });
      assert.equal(result.kind, 'failure');
      assert.equal(result.kind === 'failure' && result.reason, 'not_allowed');
    });
  });

  describe('with loopback allowed (AUDITUM_OUTBOUND_ALLOW)', () => {
    beforeEach(() => start({ outboundAllow: '127.0.0.1/32,::1/128' }));

    it('contacts the allowed addresses, in every form, from the test and from delivery', async () => {
      for (const host of loopbackHosts(listener)) {
        const before = listener.requests.length;
        const answer = await testExport(listener.url(host));
        assert.deepEqual(answer, { ok: true, http_status: 200, message: null, rejected_log_records: 0 }, host);
        assert.equal(listener.requests.length, before + 1, `${host} was contacted`);
      }
      assert.equal((await call('PUT', '/v1/otel-export', { endpoint_url: listener.url('0x7f000001') })).status, 200);
      await ingestOne(t);
      await waitFor('delivered', async () => (await call('GET', '/v1/otel-export')).body.status.pending === 0);
      assert.equal((await call('PUT', '/v1/alert-webhook', { url: listener.url('127.0.0.1', '/hooks/x') })).status, 200);
      await fireAlert('completed');
      assert.ok(listener.requests.some((r) => r.path === '/hooks/x'));
    });

    it("never answers with the receiver's body, from the test or in the delivery status", async () => {
      const bodies: Array<[number, Record<string, string>, string]> = [
        [401, { 'content-type': 'text/plain' }, SECRET_BODY],
        [400, { 'content-type': 'application/json' }, JSON.stringify({ code: 3, message: SECRET_BODY })],
        [500, { 'content-type': 'text/html' }, `<h1>${SECRET_BODY}</h1>`],
        [200, { 'content-type': 'text/plain' }, SECRET_BODY],
        [
          200,
          { 'content-type': 'application/json' },
          JSON.stringify({ partialSuccess: { rejectedLogRecords: 1, errorMessage: SECRET_BODY } }),
        ],
      ];
      for (const [status, headers, body] of bodies) {
        listener.setReply(() => ({ status, headers, body }));
        const answer = await testExport(listener.url());
        assert.equal(answer.http_status, status);
        const shown = JSON.stringify(answer);
        assert.ok(!shown.includes(SECRET_BODY), `${status} ${headers['content-type']}: ${shown}`);
      }
      listener.setReply(() => ({ status: 401, headers: { 'content-type': 'text/plain' }, body: SECRET_BODY }));
      const answer = await testExport(listener.url());
      assert.deepEqual(answer, { ok: false, http_status: 401, message: 'HTTP 401 Unauthorized', rejected_log_records: 0 });

      const json = { 'content-type': 'application/json' };
      listener.setReply(() => ({ status: 400, headers: json, body: JSON.stringify({ message: SECRET_BODY }) }));
      const put = await call('PUT', '/v1/otel-export', { endpoint_url: listener.url(), start: '1970-01-01T00:00:00Z' });
      assert.equal(put.status, 200);
      const view = await waitFor('delivery failing', async () => {
        const v = (await call('GET', '/v1/otel-export')).body;
        return v.status.state === 'failing' ? v : null;
      });
      assert.equal(view.status.last_error.message, 'HTTP 400 Bad Request');
      assert.ok(!JSON.stringify(view).includes(SECRET_BODY));
    });

    it('does not follow redirects: a 3xx is a failure and its Location is never contacted', async () => {
      const target = await startContactRecorder();
      try {
        const location = target.url('127.0.0.1', '/elsewhere');
        listener.setReply(() => ({ status: 307, headers: { location }, body: SECRET_BODY }));
        const answer = await testExport(listener.url());
        assert.deepEqual(answer, {
          ok: false,
          http_status: 307,
          message: 'HTTP 307 Temporary Redirect (redirects are not followed)',
          rejected_log_records: 0,
        });
        listener.setReply(() => ({ status: 302, headers: { location } }));
        assert.equal((await call('PUT', '/v1/alert-webhook', { url: listener.url('127.0.0.1', '/hooks/r') })).status, 200);
        const job = await waitFor('a redirect answered', async () => {
          const alerts = (await call('GET', '/v1/alerts')).body.alerts;
          if (alerts.length === 0) {
            const event = { type: 'api_key.created', actor: { id: 'u9' }, target: { type: 'api_key', id: 'k-r' } };
            await t.request('POST', '/v1/events', { body: { events: [event] } });
            return null;
          }
          const j = await t.app.services.jobs.get(alerts[0].id);
          return j?.lastError ? j : null;
        });
        assert.equal(job.lastError, 'webhook answered HTTP 302 Found (redirects are not followed)');
        assert.deepEqual(target.connections, [], 'the redirect target was never contacted');
      } finally {
        await target.close();
      }
    });
  });

  describe('host name and deny entries', () => {
    it('an allowed host name opens what it resolves to; the literal address stays refused', async () => {
      await start({ outboundAllow: 'localhost' });
      assert.equal((await testExport(listener.url('localhost'))).ok, true);
      assert.equal(listener.requests.length, 1);
      assert.match((await testExport(listener.url('127.0.0.1'))).message, POLICY);
      assert.equal(listener.connections.length, 1);
    });

    it('deny entries win over allow entries', async () => {
      await start({ outboundAllow: '127.0.0.0/8,localhost', outboundDeny: '127.0.0.1,::1,localhost' });
      for (const host of [...loopbackHosts(listener), 'localhost']) {
        assert.match((await testExport(listener.url(host))).message, POLICY, host);
      }
      const put = await call('PUT', '/v1/otel-export', { endpoint_url: listener.url('localhost'), enabled: false });
      assert.equal(put.status, 400, 'a denied host name is refused when saving too');
      assert.match(put.body.error.message, /host localhost is not allowed by the outbound policy/);
      assert.deepEqual(listener.connections, []);
    });
  });

  describe('webhook URLs at rest and in the audit log', () => {
    const SECRET_PATH = '/hooks/T0KEN-5a1e7d0c99';
    beforeEach(() => start({}));

    /** Every byte of the database files (closed first, so the WAL is folded in). */
    const databaseText = async () => (await storedContents(t.config)).join('\n');

    it('stores the URL encrypted, shows scheme and host only, and keeps it when the masked form comes back', async () => {
      const url = listener.url('127.0.0.1', SECRET_PATH);
      const masked = `http://127.0.0.1:${listener.port}/…`;
      const put = await call('PUT', '/v1/alert-webhook', { url });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.equal(put.body.url, masked);
      assert.equal((await call('GET', '/v1/alert-webhook')).body.url, masked);
      assert.equal((await call('PUT', '/v1/alert-webhook', { url: masked, enabled: false })).status, 200);
      assert.equal((await call('PUT', '/v1/alert-webhook', { url: masked, enabled: true })).status, 200);
      const other = await call('PUT', '/v1/alert-webhook', { url: 'https://hooks.example.com/…' });
      assert.equal(other.status, 400, 'a masked URL of another host does not stand for the stored one');
      await fireAlert('completed');
      assert.deepEqual(listener.requests.map((r) => r.path), [SECRET_PATH], 'the stored URL was kept whole');

      // The audit log is readable with events:read (the org's key here, and viewer tokens).
      const log = await t.request('GET', '/v1/events?type=settings.updated');
      const hookEntries = log.body.events.filter((e: any) => e.target?.type === 'alert_webhook');
      assert.equal(hookEntries.length, 3);
      const metadata = hookEntries.map((e: any) => e.metadata);
      assert.ok(metadata.every((m: any) => m.url === masked), JSON.stringify(metadata));
      assert.deepEqual(metadata.map((m: any) => m.url_changed).reverse(), [true, false, false]);
      assert.ok(!JSON.stringify(log.body).includes('T0KEN'));
      assert.ok(!JSON.stringify((await call('GET', '/v1/alerts')).body).includes('T0KEN'));

      await t.app.close();
      assert.ok(!(await databaseText()).includes('T0KEN-5a1e7d0c99'), 'the database holds the URL in clear');
      const [row] = await rawQuery<{ url: string }>(t.config, 'SELECT url FROM alert_webhooks');
      assert.ok(!row!.url.includes('://'), `stored as ${row!.url}`);
    });

    it('migration 0009 encrypts webhook URLs an earlier version stored in clear', async () => {
      // Several rows share a page: rewriting one in place must not leave its clear text in the page's free space.
      for (const slug of ['beta', 'gamma', 'delta']) {
        const org = await t.createOrg(slug, ['admin']);
        const put = await call('PUT', '/v1/alert-webhook', { url: listener.url('127.0.0.1', '/x') }, org.key);
        assert.equal(put.status, 200);
      }
      assert.equal((await call('PUT', '/v1/alert-webhook', { url: listener.url('127.0.0.1', '/hooks/new') })).status, 200);
      await t.app.close();
      // As an earlier version left it: each URL in clear, and migration 0009 not yet run. That version
      // kept its keys in data dir files (0011 not run either): the secret-box key in secret.key.
      fs.writeFileSync(path.join(t.dataDir, 'secret.key'), t.app.services.keyring.current('secret_box'), { mode: 0o600 });
      await rawQuery(t.config, 'UPDATE alert_webhooks SET url = ? || org_id', [listener.url('127.0.0.1', `${SECRET_PATH}-`)]);
      await rawQuery(t.config, "DELETE FROM kysely_migration WHERE name LIKE '0009-%' OR name LIKE '0011-%'");
      await rawQuery(t.config, 'DROP TABLE key_material');
      assert.ok((await databaseText()).includes('T0KEN-5a1e7d0c99'), 'the clear URLs are in the database beforehand');
      t = { ...t, ...(await reopenTestApp(t)) };
      assert.equal((await call('GET', '/v1/alert-webhook')).body.url, `http://127.0.0.1:${listener.port}/…`);
      await fireAlert('completed');
      assert.deepEqual(listener.requests.map((r) => r.path), [`${SECRET_PATH}-${t.org.id}`], 'the migrated URL still works');
      await t.app.close();
      const rows = await rawQuery<{ url: string }>(t.config, 'SELECT url FROM alert_webhooks');
      assert.equal(rows.length, 4);
      for (const row of rows) assert.ok(!row.url.includes('://'), `stored as ${row.url}`);
      // On SQLite the file's free space is checked too (secure_delete); PostgreSQL's old row versions go with VACUUM.
      assert.ok(!(await databaseText()).includes('T0KEN-5a1e7d0c99'), 'the clear URL was erased from the database');
    });
  });
});

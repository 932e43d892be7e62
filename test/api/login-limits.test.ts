import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { openDatabase } from '../../src/db/database.ts';
import { createEventQuery } from '../../src/events/event-query.ts';
import { cookieFrom, PASSWORD, startTestApp, type TestApp } from '../helpers/test-app.ts';

const WRONG = 'wrong password!';

/** A sign-in as `email`, from `ip` (as X-Forwarded-For) and with a device cookie when given. */
function login(t: TestApp, email: string, password: string, from: { ip?: string; device?: string } = {}) {
  const headers: Record<string, string> = {};
  if (from.ip) headers['x-forwarded-for'] = from.ip;
  if (from.device) headers.cookie = from.device;
  return t.request('POST', '/v1/auth/login', { key: null, body: { email, password }, headers });
}

/** The login.failure entries of `email`, newest first. */
async function failuresOf(t: TestApp, email: string) {
  const page = await t.app.services.query.list(t.org.id, { types: ['login.failure'] }, 500);
  return page.entries.filter((e) => e.actor.email === email);
}

describe('sign-in limits behind a trusted proxy', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ trustProxy: '127.0.0.1', loginMaxFailures: 5, loginMaxFailuresPerIp: 8 });
  });
  after(() => t.close());

  it('keeps the owner signing in from a known IP and a known device while an attacker hammers the account', async () => {
    await t.createUser(t.org.id, 'owner@acme.test', 'owner');
    const first = await login(t, 'owner@acme.test', PASSWORD, { ip: '203.0.113.10' });
    assert.equal(first.status, 200);
    const raw = first.headers.getSetCookie().find((c) => c.startsWith('auditum_device='));
    assert.ok(raw, 'a signed-in browser gets a device cookie');
    assert.match(raw, /HttpOnly/i);
    assert.match(raw, /SameSite=Strict/i);
    assert.match(raw, /Path=\/v1\/auth/);
    const device = cookieFrom(first.headers, 'auditum_device')!;

    for (let i = 0; i < 5; i++) assert.equal((await login(t, 'owner@acme.test', WRONG, { ip: '198.51.100.7' })).status, 401);
    for (let i = 0; i < 20; i++) assert.equal((await login(t, 'owner@acme.test', WRONG, { ip: '198.51.100.7' })).status, 429);

    const fromKnownIp = await login(t, 'owner@acme.test', PASSWORD, { ip: '203.0.113.10' });
    assert.equal(fromKnownIp.status, 200, `known IP: ${JSON.stringify(fromKnownIp.body)}`);
    const fromKnownDevice = await login(t, 'owner@acme.test', PASSWORD, { ip: '192.0.2.44', device });
    assert.equal(fromKnownDevice.status, 200, `known device on a new IP: ${JSON.stringify(fromKnownDevice.body)}`);
    const stillBlocked = await login(t, 'owner@acme.test', PASSWORD, { ip: '198.51.100.7' });
    assert.equal(stillBlocked.status, 429, "the attacker's IP stays limited, even with the right password");
  });

  it('answers the attacker 429 too_many_attempts with a Retry-After', async () => {
    await t.createUser(t.org.id, 'target@acme.test', 'admin');
    for (let i = 0; i < 5; i++) assert.equal((await login(t, 'target@acme.test', WRONG, { ip: '198.51.100.8' })).status, 401);
    const limited = await login(t, 'target@acme.test', WRONG, { ip: '198.51.100.8' });
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error.code, 'too_many_attempts');
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 15 * 60, `Retry-After: ${retryAfter}`);
  });

  it('queues guesses spread over many IPs behind the account backoff, but not the owner', async () => {
    await t.createUser(t.org.id, 'spread@acme.test', 'admin');
    assert.equal((await login(t, 'spread@acme.test', PASSWORD, { ip: '203.0.113.20' })).status, 200);
    for (let i = 0; i < 5; i++) {
      assert.equal((await login(t, 'spread@acme.test', WRONG, { ip: `198.18.0.${i + 1}` })).status, 401);
    }
    const burst = Array.from({ length: 20 }, (_, i) => login(t, 'spread@acme.test', WRONG, { ip: `198.18.1.${i + 1}` }));
    const owner = await login(t, 'spread@acme.test', PASSWORD, { ip: '203.0.113.20' });
    const statuses = (await Promise.all(burst)).map((r) => r.status);
    assert.equal(owner.status, 200, 'the known IP skips the queue');
    assert.ok(statuses.every((s) => s === 401 || s === 429), statuses.join(','));
    assert.ok(statuses.includes(429), `attempts past the longest wait are refused: ${statuses.join(',')}`);
    assert.ok(statuses.includes(401), `the ones that wait their turn are checked: ${statuses.join(',')}`);
  });

  it('does not lock everyone at a shared IP out when one client there sprays accounts', async () => {
    await t.createUser(t.org.id, 'alice@acme.test', 'member');
    await t.createUser(t.org.id, 'bob@acme.test', 'member');
    assert.equal((await login(t, 'alice@acme.test', PASSWORD, { ip: '198.51.100.30' })).status, 200);
    const bobElsewhere = await login(t, 'bob@acme.test', PASSWORD, { ip: '192.0.2.60' });
    const bobDevice = cookieFrom(bobElsewhere.headers, 'auditum_device')!;
    for (let i = 0; i < 8; i++) {
      assert.equal((await login(t, `nobody${i}@acme.test`, WRONG, { ip: '198.51.100.30' })).status, 401);
    }
    assert.equal((await login(t, 'nobody-else@acme.test', WRONG, { ip: '198.51.100.30' })).status, 429, 'the per-IP limit holds');
    assert.equal((await login(t, 'bob@acme.test', PASSWORD, { ip: '198.51.100.30' })).status, 429, 'an IP new to bob is limited');
    assert.equal((await login(t, 'alice@acme.test', PASSWORD, { ip: '198.51.100.30' })).status, 200, 'alice knows this IP');
    const bob = await login(t, 'bob@acme.test', PASSWORD, { ip: '198.51.100.30', device: bobDevice });
    assert.equal(bob.status, 200, "bob's device is known");
    await t.createUser(t.org.id, 'carol@acme.test', 'member');
    const borrowed = await login(t, 'carol@acme.test', PASSWORD, { ip: '198.51.100.30', device: bobDevice });
    assert.equal(borrowed.status, 429, "bob's device cookie does nothing for carol");
    assert.equal((await failuresOf(t, 'alice@acme.test')).length, 0);
  });

  it('records the forwarded client IP, not the proxy, and ignores addresses the client wrote itself', async () => {
    await t.createUser(t.org.id, 'ip@acme.test', 'member');
    assert.equal((await login(t, 'ip@acme.test', WRONG, { ip: '192.0.2.1, 203.0.113.77' })).status, 401);
    const [failure] = await failuresOf(t, 'ip@acme.test');
    assert.equal(failure!.ip, '203.0.113.77');
    const ok = await login(t, 'ip@acme.test', PASSWORD, { ip: '203.0.113.78' });
    const session = { cookie: cookieFrom(ok.headers, 'auditum_session')!, csrf: ok.body.csrf_token, me: ok.body };
    const sessions = (await t.request('GET', '/v1/auth/sessions', { as: session })).body.sessions;
    assert.equal(sessions[0].ip, '203.0.113.78');
  });
});

describe('sign-in limits without a trusted proxy', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ loginMaxFailures: 3 });
  });
  after(() => t.close());

  it('ignores X-Forwarded-For: the socket address is the client', async () => {
    assert.equal(t.config.trustProxy, false, 'off by default');
    await t.createUser(t.org.id, 'direct@acme.test', 'member');
    for (let i = 0; i < 3; i++) {
      assert.equal((await login(t, 'direct@acme.test', WRONG, { ip: `203.0.113.${100 + i}` })).status, 401);
    }
    const limited = await login(t, 'direct@acme.test', WRONG, { ip: '203.0.113.200' });
    assert.equal(limited.status, 429, 'a made-up X-Forwarded-For does not make a new source');
    const failures = await failuresOf(t, 'direct@acme.test');
    assert.ok(failures.length >= 3);
    assert.ok(failures.every((e) => e.ip === '127.0.0.1'), JSON.stringify(failures.map((e) => e.ip)));
  });
});

describe('refused sign-ins in the audit log', () => {
  it('writes 200 refused attempts as two entries, the second with their count (flushed at shutdown)', async () => {
    const t = await startTestApp({ trustProxy: 'loopback', loginMaxFailures: 5 });
    let closed = false;
    try {
      await t.createUser(t.org.id, 'flood@acme.test', 'owner');
      for (let i = 0; i < 5; i++) assert.equal((await login(t, 'flood@acme.test', WRONG, { ip: '198.51.100.9' })).status, 401);
      for (let round = 0; round < 10; round++) {
        const batch = Array.from({ length: 20 }, () => login(t, 'flood@acme.test', WRONG, { ip: '198.51.100.9' }));
        const statuses = (await Promise.all(batch)).map((r) => r.status);
        assert.ok(statuses.every((s) => s === 429), statuses.join(','));
      }
      const live = await failuresOf(t, 'flood@acme.test');
      assert.equal(live.length, 6, 'five wrong passwords and the first refusal; the other 199 are being counted');
      await t.app.close();
      closed = true;

      const database = await openDatabase({ dataDir: t.dataDir, url: t.config.databaseUrl, sync: 'normal' });
      try {
        const page = await createEventQuery(database).list(t.org.id, { types: ['login.failure'] }, 500);
        const entries = page.entries.filter((e) => e.actor.email === 'flood@acme.test');
        assert.ok(entries.length <= 7, `${entries.length} entries for 205 failed sign-ins`);
        const wrong = entries.filter((e) => e.metadata!.reason === 'wrong_password').length;
        const refused = entries.filter((e) => e.metadata!.reason === 'rate_limited');
        const summary = refused.find((e) => typeof e.metadata!.count === 'number');
        assert.ok(summary, 'one entry sums up the refused attempts');
        assert.equal(summary.category, 'security');
        assert.equal(summary.result, 'failed');
        const counted = refused.reduce((n, e) => n + ((e.metadata!.count as number | undefined) ?? 1), 0);
        assert.equal(wrong + counted, 205, 'every attempt is accounted for');
        assert.equal(summary.metadata!.count, 199);
        assert.deepEqual(summary.metadata!.ips, ['198.51.100.9']);
        assert.equal(summary.ip, '198.51.100.9');
        assert.ok(Date.parse(summary.metadata!.first_at as string) <= Date.parse(summary.metadata!.last_at as string));
      } finally {
        await database.close();
      }
    } finally {
      if (!closed) await t.app.close();
      fs.rmSync(t.dataDir, { recursive: true, force: true });
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createBlockedSignIns, type BlockedAttempt } from '../../src/access/blocked-sign-ins.ts';
import { createDeviceCookies } from '../../src/access/device-cookie.ts';
import { createMemoryLoginLimitStore } from '../../src/access/login-limit-store.ts';
import { createLoginLimits, type SignInSource } from '../../src/access/login-limits.ts';
import type { SelfAudit } from '../../src/access/self-audit.ts';
import { createLogger } from '../../src/log.ts';

const WINDOW = 15 * 60_000;

function limitsWithFakeTime() {
  const waits: number[] = [];
  const store = createMemoryLoginLimitStore({ windowMs: WINDOW, knownIpMs: 86_400_000 });
  const limits = createLoginLimits({
    store,
    options: { maxFailures: 3, maxFailuresPerIp: 5, windowMs: WINDOW, backoffBaseMs: 100, backoffMaxMs: 1000 },
    random: () => 0,
    sleep: async (ms) => waits.push(ms),
  });
  return { limits, waits };
}

describe('sign-in limits', () => {
  const attacker: SignInSource = { account: 'owner@x.test', ip: '198.51.100.1' };

  it('limits one account from one source, not the account everywhere', async () => {
    const { limits } = limitsWithFakeTime();
    const now = 1_000_000;
    for (let i = 0; i < 3; i++) assert.equal((await limits.admit(attacker, now)).admitted, true);
    const refused = await limits.admit(attacker, now + 1000);
    assert.deepEqual(refused, { admitted: false, retryAfterMs: WINDOW - 1000 });
    assert.equal((await limits.admit({ ...attacker, deviceId: 'd1' }, now)).admitted, true, 'a known device is its own source');
    assert.equal((await limits.admit(attacker, now + WINDOW)).admitted, true, 'the window slides');
  });

  it('exempts IPs and devices the account knows from the per-IP limit and the backoff', async () => {
    const { limits, waits } = limitsWithFakeTime();
    const now = 2_000_000;
    const owner: SignInSource = { account: 'owner@x.test', ip: '203.0.113.5' };
    const admitted = await limits.admit(owner, now);
    assert.ok(admitted.admitted);
    await limits.succeeded(admitted.ticket, now);
    for (let i = 0; i < 5; i++) await limits.admit({ account: `u${i}@x.test`, ip: '203.0.113.5' }, now);
    assert.equal((await limits.admit({ account: 'other@x.test', ip: '203.0.113.5' }, now)).admitted, false, 'per-IP limit');
    for (let i = 0; i < 10; i++) await limits.admit({ account: 'owner@x.test', ip: `198.18.0.${i}` }, now);
    waits.length = 0;
    assert.equal((await limits.admit(owner, now)).admitted, true, 'known IP: neither the per-IP limit nor the queue');
    assert.equal((await limits.admit({ ...owner, ip: '192.0.2.9', deviceId: 'd' }, now)).admitted, true);
    assert.deepEqual(waits, []);
  });

  it('spaces attempts from unknown sources by an exponential backoff, refusing past its cap', async () => {
    const { limits, waits } = limitsWithFakeTime();
    const now = 3_000_000;
    const results = [];
    for (let i = 0; i < 10; i++) {
      results.push((await limits.admit({ account: 'owner@x.test', ip: `198.18.1.${i}` }, now)).admitted);
    }
    // After 3 failures, random 0 gives half of each ceiling: gaps 50, 100, 200, 400, then 500 (cap 1000 / 2).
    assert.deepEqual(waits, [50, 150, 350, 750]);
    assert.deepEqual(results, [true, true, true, true, true, true, true, true, false, false], 'a wait over 1000 ms is refused');
    const later = await limits.admit({ account: 'owner@x.test', ip: '198.18.1.99' }, now + 5000);
    assert.equal(later.admitted, true, 'the queue drains');
  });
});

describe('refused sign-in summaries', () => {
  function summaries(options: { maxAccounts?: number; maxIps?: number } = {}) {
    const written: Array<{ orgId: string; event: any; ip?: string }> = [];
    const selfAudit = (async (orgId: string, _actor: unknown, event: unknown, request?: { ip?: string }) => {
      written.push({ orgId, event, ip: request?.ip });
    }) as unknown as SelfAudit;
    const logger = createLogger('silent');
    const blocked = createBlockedSignIns({ selfAudit, logger, options: { periodMs: 60_000, ...options } });
    return { blocked, written };
  }
  const attempt = (at: number, ip = '198.51.100.1', email = 'a@x.test'): BlockedAttempt =>
    ({ email, userId: 'u1', orgIds: ['o1'], ip, at });

  it('lets the first refusal be recorded, then sums the rest up once per period while they go on', async () => {
    const { blocked, written } = summaries();
    assert.equal(blocked.note(attempt(0)), true);
    for (let i = 1; i <= 50; i++) assert.equal(blocked.note(attempt(i * 100, i % 2 ? '198.51.100.1' : '198.51.100.2')), false);
    assert.equal(await blocked.flushDue(59_000), 1000, 'not before the period ends');
    assert.equal(written.length, 0);
    await blocked.flushDue(60_000);
    assert.equal(written.length, 1);
    const { metadata } = written[0]!.event;
    assert.equal(written[0]!.event.type, 'login.failure');
    assert.deepEqual(metadata, {
      reason: 'rate_limited',
      count: 50,
      first_at: new Date(100).toISOString(),
      last_at: new Date(5000).toISOString(),
      ips: ['198.51.100.1', '198.51.100.2'],
    });
    assert.equal(written[0]!.ip, '198.51.100.1');
    assert.equal(blocked.note(attempt(70_000)), false, 'the streak goes on: counted, not recorded alone');
    await blocked.flushDue(120_000);
    assert.equal(written.at(-1)!.event.metadata.count, 1);
    await blocked.flushDue(180_000);
    assert.equal(written.length, 2, 'a quiet period writes nothing and ends the streak');
    assert.equal(blocked.note(attempt(200_000)), true);
  });

  it('writes everything pending at shutdown and stays bounded', async () => {
    const { blocked, written } = summaries({ maxAccounts: 2, maxIps: 2 });
    for (const email of ['a@x.test', 'b@x.test']) {
      blocked.note(attempt(0, '198.51.100.1', email));
      for (let i = 1; i <= 3; i++) blocked.note(attempt(i, `198.51.100.${i}`, email));
    }
    blocked.note(attempt(10, '198.51.100.1', 'c@x.test'));
    await blocked.flushAll();
    const counts = written.map((w) => [w.event.metadata.count, w.event.metadata.ips.length, w.event.metadata.ips_truncated]);
    // a was written early to make room for c; c had no refusal past its first.
    assert.deepEqual(counts, [[3, 2, true], [3, 2, true]]);
  });
});

describe('device cookies', () => {
  const devices = createDeviceCookies({ signingKey: new Uint8Array(32).fill(7), ttlMs: 86_400_000 });

  it('are valid only for their user, untampered and unexpired', () => {
    const now = Date.UTC(2030, 0, 1);
    const cookie = devices.issue('user-1', now);
    const id = devices.verify(cookie, 'user-1', now + 1000);
    assert.match(id ?? '', /^[0-9a-f]{64}$/);
    assert.equal(devices.verify(cookie, 'user-2', now), undefined);
    assert.equal(devices.verify(cookie, 'user-1', now + 86_400_001), undefined);
    const [issued, random, mac] = cookie.split('.');
    assert.equal(devices.verify(`${issued}.${random}x.${mac}`, 'user-1', now), undefined);
    assert.equal(devices.verify(`${(parseInt(issued!, 36) + 1).toString(36)}.${random}.${mac}`, 'user-1', now), undefined);
    assert.equal(devices.verify(undefined, 'user-1', now), undefined);
    assert.equal(devices.verify('garbage', 'user-1', now), undefined);
  });
});

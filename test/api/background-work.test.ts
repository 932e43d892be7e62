import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { eventInputSchema } from '../../src/events/event.schemas.ts';
import { createLogger } from '../../src/log.ts';
import { createWorkEngine } from '../../src/work/work-engine.ts';
import { LeaseLostError } from '../../src/work/work.repo.ts';
import { inTransaction } from '../../src/db/unit-of-work.ts';
import { waitFor } from '../helpers/otlp-receiver.ts';
import { reopenTestApp, startTestApp, type TestApp } from '../helpers/test-app.ts';
import { rawQuery } from '../helpers/test-database.ts';

const DAY_MS = 86_400_000;
const logger = createLogger('silent');

describe('the background-work engine', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(async () => {
    await t.close();
  });

  const schedule = async (name: string) =>
    (await rawQuery<{ next_run_at: number; last_run_at: number | null }>(t.config, 'SELECT * FROM work_schedules WHERE name = ?', [name]))[0];

  it('runs the retention purge when due, at start too: a restart never resets its clock', async () => {
    // First start: never run before, so it ran at once.
    const first = await waitFor('the first retention run', async () => (await schedule('retention'))?.last_run_at ?? undefined);
    const next = Number((await schedule('retention'))!.next_run_at);
    assert.ok(Math.abs(next - (Number(first) + DAY_MS)) < 5000, 'next run one interval after the last');

    // Entries older than the retention period, then a restart before the run is due: nothing purged.
    const old = new Date(Date.now() - 40 * DAY_MS).toISOString();
    await t.app.services.store.append(t.org.id, [eventInputSchema.parse({ type: 'user.login', actor: { id: 'a' }, occurred_at: old })]);
    await t.app.services.retention.update(t.org.id, { retention_days: 30 }, { type: 'system', id: 'test' });
    await t.app.close();
    let reopened = await reopenTestApp(t);
    t = { ...t, ...reopened };
    assert.equal(Number((await schedule('retention'))!.next_run_at), next, 'the restart kept the schedule');
    assert.equal((await t.request('GET', '/v1/settings/retention')).body.purged_through_seq, 0);

    // A day later (as if the server had been restarted every hour since): due, and run at start.
    await rawQuery(t.config, 'UPDATE work_schedules SET next_run_at = ? WHERE name = ?', [Date.now() - 1000, 'retention']);
    await t.app.close();
    reopened = await reopenTestApp(t);
    t = { ...t, ...reopened };
    await waitFor('the purge at start', async () => (await t.request('GET', '/v1/settings/retention')).body.purged_through_seq >= 1);
  });

  it('shares an organization\'s task between servers by lease, and refuses a former holder\'s write', async () => {
    const repo = t.app.services.workRepo;
    const a = createWorkEngine({ repo, logger, serverId: 'server-a', leaseTtlMs: 60_000 });
    const b = createWorkEngine({ repo, logger, serverId: 'server-b', leaseTtlMs: 60_000 });
    const orgs = ['org-1', 'org-2', 'org-3', 'org-4'];
    const [leasesA, leasesB] = [a.leases('demo'), b.leases('demo')];
    // Alone, a server takes every organization; the other finds none free.
    const heldByA = await leasesA.claim(orgs);
    assert.deepEqual(heldByA.map((l) => l.orgId), orgs);
    assert.deepEqual(await leasesB.claim(orgs), []);

    // A writes under its lease; after A hands its leases back, B takes them with a new token and A's write is refused.
    const lease = heldByA[0]!;
    await inTransaction(t.app.services.database.db, (tx) => leasesA.fence(tx, lease));
    await a.stop();
    const heldByB = await leasesB.claim(orgs);
    assert.deepEqual(heldByB.map((l) => l.orgId), orgs);
    assert.ok(heldByB[0]!.token > lease.token, 'the fencing token went up');
    await assert.rejects(inTransaction(t.app.services.database.db, (tx) => leasesA.fence(tx, lease)), LeaseLostError);
    await b.stop();
  });

  it('answers /readyz, and /v1/cluster shows this server and its leases to admins only', async () => {
    const ready = await t.request('GET', '/readyz', { key: null });
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
    assert.deepEqual(ready.body, { ready: true, checks: { database: 'ok', migrations: 'ok', accepting_work: true } });

    const admin = (await t.app.services.apiKeys.create(t.org.id, { name: 'ops', scopes: ['admin'] })).key;
    const status = await waitFor('this server holding its organization\'s work', async () => {
      const res = await t.request('GET', '/v1/cluster', { key: admin });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.servers.length === 1 && res.body.servers[0].leases.length > 0 ? res.body : undefined;
    });
    assert.ok(status.servers[0].leases.every((l: { org_id: string }) => l.org_id === t.org.id), 'only this organization\'s leases');
    assert.deepEqual(status.lag.map((l: { org_id: string }) => l.org_id), [t.org.id]);
    assert.ok(status.schedules.some((s: { name: string }) => s.name === 'retention'));
    assert.equal((await t.request('GET', '/v1/cluster')).status, 403, 'a key without the admin scope');
    assert.equal((await t.request('GET', '/v1/cluster', { key: null })).status, 401);
  });
});

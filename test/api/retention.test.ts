import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { sampleEvent, startTestApp, type Session, type TestApp } from '../helpers/test-app.ts';
import { rawQuery } from '../helpers/test-database.ts';
import { leaf, mth, verifyConsistency, verifyInclusion } from '../helpers/rfc6962.ts';

const DAY = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString();

describe('retention', () => {
  let t: TestApp;
  let owner: Session;
  beforeEach(async () => {
    t = await startTestApp();
    await t.createUser(t.org.id, 'owner@acme.test', 'owner');
    owner = await t.quietSession('owner@acme.test');
  });
  afterEach(() => t.close());

  const ingest = async (n: number, overrides: Record<string, unknown> = {}, key = t.org.key) => {
    const res = await t.request('POST', '/v1/events', { key, body: { events: Array.from({ length: n }, (_, i) => sampleEvent({ action: `e${i}`, ...overrides })) } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.events as Array<{ id: string; seq: number; hash: string }>;
  };
  const count = async (orgId: string) => {
    const [row] = await rawQuery<{ n: number | string }>(t.config, 'SELECT count(*) AS n FROM events WHERE org_id = ?', [orgId]);
    return Number(row!.n);
  };

  it('reads and updates the settings, validating input and recording retention.updated', async () => {
    assert.deepEqual((await t.request('GET', '/v1/settings/retention')).body, { retention_days: 365, legal_hold: false, purged_through_seq: 0, last_purge_at: null });
    for (const body of [{ retention_days: 0 }, { retention_days: 36501 }, { retention_days: 1.5 }, { retention_days: '30' }, {}, { retention_days: 30, extra: 1 }, { retention_days: 30, legal_hold: 'yes' }]) {
      const res = await t.request('PUT', '/v1/settings/retention', { as: owner, body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error.code, 'invalid_request');
    }
    assert.equal((await t.request('PUT', '/v1/settings/retention', { body: { retention_days: 30 } })).status, 403, 'needs an owner');
    const adminKey = (await t.app.services.apiKeys.create(t.org.id, { name: 'admin', scopes: ['admin'] })).key;
    assert.equal((await t.request('PUT', '/v1/settings/retention', { key: adminKey, body: { retention_days: 30 } })).status, 403, 'an admin-scope key is not an owner');
    await t.createUser(t.org.id, 'admin@acme.test', 'admin');
    assert.equal((await t.request('PUT', '/v1/settings/retention', { as: await t.quietSession('admin@acme.test'), body: { retention_days: 30 } })).status, 403, 'admins cannot change retention');
    assert.equal((await t.request('GET', '/v1/settings/retention', { key: null })).status, 401);
    const put = await t.request('PUT', '/v1/settings/retention', { as: owner, body: { retention_days: null, legal_hold: true } });
    assert.equal(put.status, 200);
    assert.equal(put.body.retention_days, null);
    assert.equal(put.body.legal_hold, true);
    const audit = await t.request('GET', '/v1/events?type=retention.updated');
    assert.equal(audit.body.events.length, 1);
    assert.deepEqual(audit.body.events[0].metadata, {
      old: { retention_days: 365, legal_hold: false },
      new: { retention_days: null, legal_hold: true },
      changes: { retention_days: { from: 365, to: null }, legal_hold: { from: false, to: true } },
    });

    const other = await t.createOrg('other', ['admin']);
    assert.equal((await t.request('GET', '/v1/settings/retention', { key: other.key })).body.retention_days, 365, "another org's settings are its own");
    await t.createUser(other.id, 'owner@other.test', 'owner');
    const otherOwner = await t.quietSession('owner@other.test');
    assert.equal((await t.request('PUT', '/v1/settings/retention', { as: otherOwner, body: { retention_days: 7 } })).status, 200);
    assert.equal((await t.request('GET', '/v1/settings/retention')).body.retention_days, null);
    const theirs = (await t.request('GET', '/v1/events?type=retention.updated', { key: other.key })).body.events;
    assert.deepEqual(theirs.map((e: { metadata: { new: unknown } }) => e.metadata.new), [{ retention_days: 7, legal_hold: false }], 'each org sees only its own');
  });

  it('purges entries older than the period, keeps newer ones, and still verifies from the anchor', async () => {
    const old = await ingest(30, { occurred_at: daysAgo(400) });
    const recent = await ingest(10);
    const leaves = [...old, ...recent].map((e) => leaf(e.hash));
    const before = await t.request('POST', '/v1/integrity/checkpoints', { as: owner });
    const other = await t.createOrg('bystander');
    await ingest(5, { occurred_at: daysAgo(400) }, other.key);

    const result = await t.app.services.retention.run(t.org.id);
    assert.deepEqual(result, { org_id: t.org.id, purged: 30, from_seq: 1, to_seq: 30 });
    assert.equal((await t.request('GET', `/v1/events/${old[0]!.id}`)).status, 404);
    assert.equal((await t.request('GET', `/v1/events/${recent[0]!.id}`)).status, 200);
    assert.equal(await count(t.org.id), 11, '10 recent + retention.purged');
    assert.equal(await count(other.id), 5, 'another organization is untouched');

    const purged = (await t.request('GET', '/v1/events?type=retention.purged')).body.events;
    assert.equal(purged.length, 1);
    assert.deepEqual(purged[0].metadata, { from_seq: 1, to_seq: 30, count: 30 });
    assert.deepEqual(purged[0].actor, { id: 'auditum', type: 'system' });
    assert.deepEqual((await t.request('GET', '/v1/integrity/verify')).body, { ok: true, checked: 11, first_bad_seq: null, reason: null });
    assert.equal((await t.request('GET', '/v1/settings/retention')).body.purged_through_seq, 30);

    // The tree still has its old root (from the anchor's compact range), and grows consistently.
    const after = await t.request('POST', '/v1/integrity/checkpoints', { as: owner });
    assert.equal(after.body.tree_size, 41);
    const cons = await t.request('GET', '/v1/integrity/consistency?from=40&to=41');
    assert.equal(cons.body.from_root, before.body.root_hash);
    leaves.push(leaf(purged[0].hash));
    assert.ok(verifyConsistency(40, 41, mth(leaves.slice(0, 40)), mth(leaves), cons.body.proof.map((p: string) => Buffer.from(p, 'base64'))));
    const proof = await t.request('GET', `/v1/events/${recent[4]!.id}/proof`);
    assert.ok(verifyInclusion(34, 41, leaves[34]!, proof.body.audit_path.map((p: string) => Buffer.from(p, 'base64')), mth(leaves)));
    // Proofs that would need purged leaves say so.
    const gone = await t.request('GET', '/v1/integrity/consistency?from=3&to=41');
    assert.equal(gone.status, 410);
    assert.equal(gone.body.error.code, 'purged');

    // The full-text index forgets purged entries.
    const remaining = (await t.app.services.database.search.candidates(t.org.id, ['user.login'], 1000)).length;
    assert.ok(remaining <= 11 + 5, `index holds ${remaining} rows`);
  });

  it('keeps everything while on legal hold, or when kept forever', async () => {
    await ingest(20, { occurred_at: daysAgo(800) });
    await t.request('PUT', '/v1/settings/retention', { as: owner, body: { retention_days: 1, legal_hold: true } });
    assert.equal((await t.app.services.retention.run(t.org.id)).skipped, 'legal_hold');
    await t.request('PUT', '/v1/settings/retention', { as: owner, body: { retention_days: null, legal_hold: false } });
    assert.equal((await t.app.services.retention.run(t.org.id)).skipped, 'forever');
    assert.equal(await count(t.org.id), 22);
    await t.request('PUT', '/v1/settings/retention', { as: owner, body: { retention_days: 1 } });
    assert.equal((await t.app.services.retention.run(t.org.id)).purged, 20);
  });

  it('only removes a seq prefix: a back-dated entry behind a recent one waits', async () => {
    await ingest(3, { occurred_at: daysAgo(400) });
    await ingest(1);
    const late = await ingest(2, { occurred_at: daysAgo(500) });
    const result = await t.app.services.retention.run(t.org.id);
    assert.equal(result.to_seq, 3);
    assert.equal((await t.request('GET', `/v1/events/${late[0]!.id}`)).status, 200);
    assert.equal((await t.request('GET', '/v1/integrity/verify')).body.ok, true);
  });

  it('loses no new entry when a purge runs during ingest', async () => {
    for (let i = 0; i < 5; i++) await ingest(1000, { occurred_at: daysAgo(400) });
    const purge = t.app.services.retention.run(t.org.id);
    const writes = Array.from({ length: 20 }, () => ingest(25));
    const [result, ...batches] = await Promise.all([purge, ...writes]);
    assert.equal(result.purged, 5000);
    const acked = batches.flat();
    assert.equal(acked.length, 500);
    const rows = await rawQuery<{ id: string }>(t.config, 'SELECT id FROM events WHERE org_id = ?', [t.org.id]);
    const stored = new Set(rows.map((r) => r.id));
    for (const e of acked) assert.ok(stored.has(e.id), `entry seq ${e.seq} survived`);
    assert.equal(stored.size, 501);
    assert.equal((await t.request('GET', '/v1/integrity/verify')).body.ok, true);
  });
});

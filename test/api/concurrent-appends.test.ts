import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sampleEvent, startTestApp, type TestApp } from '../helpers/test-app.ts';
import { rawQuery, TEST_DIALECT } from '../helpers/test-database.ts';

describe('concurrent appends', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('many requests to one organization at once: no gap, no fork, every acknowledged entry stored once', async () => {
    const other = await t.createOrg('busy-neighbour');
    const send = (key: string, n: number) =>
      t.request('POST', '/v1/events', { key, body: { events: Array.from({ length: n }, (_, i) => sampleEvent({ action: `c${i}` })) } });
    const results = await Promise.all([
      ...Array.from({ length: 24 }, () => send(t.org.key, 10)),
      ...Array.from({ length: 8 }, () => send(other.key, 5)),
    ]);
    for (const res of results) assert.equal(res.status, 201, JSON.stringify(res.body));
    const rows = await rawQuery<{ seq: number | string; prev_hash: string; hash: string }>(
      t.config,
      'SELECT seq, prev_hash, hash FROM events WHERE org_id = ? ORDER BY seq',
      [t.org.id],
    );
    const own = rows;
    assert.deepEqual(own.map((r) => Number(r.seq)), Array.from({ length: own.length }, (_, i) => i + 1), 'seqs 1..n, no gap, no repeat');
    for (let i = 1; i < own.length; i++) assert.equal(own[i]!.prev_hash, own[i - 1]!.hash, `seq ${i + 1} links to ${i}`);
    const acknowledged = results.slice(0, 24).flatMap((r) => r.body.events.map((e: { seq: number }) => e.seq));
    assert.equal(new Set(acknowledged).size, 240, 'each acknowledged entry has its own seq');
    for (const key of [t.org, other]) {
      const verified = await t.request('GET', '/v1/integrity/verify', { key: key.key });
      assert.equal(verified.body.ok, true, JSON.stringify(verified.body));
    }
  });

  it('two organizations appending in the same millisecond both succeed', async () => {
    const second = await t.createOrg('same-ms');
    const occurred_at = new Date(Date.now() - 1000).toISOString();
    const batch = { events: Array.from({ length: 50 }, () => sampleEvent({ occurred_at })) };
    const [a, b] = await Promise.all([
      t.request('POST', '/v1/events', { body: batch }),
      t.request('POST', '/v1/events', { key: second.key, body: batch }),
    ]);
    assert.equal(a.status, 201, JSON.stringify(a.body));
    assert.equal(b.status, 201, JSON.stringify(b.body));
    const ms = Date.parse(occurred_at);
    const keys = await rawQuery<{ org_id: string; pk: number | string }>(
      t.config,
      'SELECT org_id, pk FROM events WHERE occurred_at = ? ORDER BY pk',
      [ms],
    );
    assert.equal(keys.length, 100);
    // Keys are time-ordered within each organization (on PostgreSQL the key is (org_id, pk)).
    for (const org of [t.org.id, second.id]) {
      const pks = keys.filter((k) => k.org_id === org).map((k) => Number(k.pk));
      assert.equal(new Set(pks).size, 50);
      assert.ok(pks.every((pk) => Math.floor(pk / 1024) >= ms && Math.floor(pk / 1024) < ms + 1000));
    }
  });

  it('creates monthly partitions named by their month (PostgreSQL), this month and the next', { skip: TEST_DIALECT !== 'postgres' && 'partitions are PostgreSQL\'s' }, async () => {
    const parts = await rawQuery<{ name: string }>(
      t.config,
      "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'events'",
    );
    const names = parts.map((p) => p.name).sort();
    assert.ok(names.includes('events_default'));
    const now = new Date();
    const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
    const label = (d: Date) => `events_p${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
    assert.ok(names.includes(label(now)) && names.includes(label(next)), names.join(', '));
    for (const name of names.filter((n) => n !== 'events_default')) {
      const month = Number(name.slice(-2));
      assert.ok(month >= 1 && month <= 12, `${name} names a real month`);
    }
  });
});

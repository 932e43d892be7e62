import assert from 'node:assert/strict';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { sampleEvent, startTestApp, type TestApp } from '../helpers/test-app.ts';

/** Tampering goes straight to the SQLite file, as an attacker with disk access would. */
describe('GET /v1/integrity/verify', () => {
  let t: TestApp;
  let file: Database.Database;
  beforeEach(async () => {
    t = await startTestApp();
    const events = Array.from({ length: 8 }, (_, i) => sampleEvent({ action: `action ${i + 1}`, metadata: { i } }));
    assert.equal((await t.request('POST', '/v1/events', { body: { events } })).status, 201);
    await t.createOrg('bystander').then((o) => t.request('POST', '/v1/events', { key: o.key, body: sampleEvent() }));
    file = new Database(path.join(t.dataDir, 'auditum.db'));
  });
  afterEach(async () => {
    file.close();
    await t.close();
  });

  const verify = async () => {
    const res = await t.request('GET', '/v1/integrity/verify');
    assert.equal(res.status, 200);
    return res.body;
  };
  const orgRows = () => `org_id = '${t.org.id}'`;

  it('passes on an untouched chain', async () => {
    assert.deepEqual(await verify(), { ok: true, checked: 8, first_bad_seq: null, reason: null });
  });

  it('detects an edited field', async () => {
    file.prepare(`UPDATE events SET metadata = '{"i":99}' WHERE ${orgRows()} AND seq = 5`).run();
    const report = await verify();
    assert.equal(report.ok, false);
    assert.equal(report.first_bad_seq, 5);
  });

  it('detects a deleted row', async () => {
    file.prepare(`DELETE FROM events WHERE ${orgRows()} AND seq = 3`).run();
    const report = await verify();
    assert.equal(report.first_bad_seq, 3);
    assert.match(report.reason, /missing/);
  });

  it('detects an inserted row', async () => {
    file.prepare(`UPDATE events SET seq = seq + 1000 WHERE ${orgRows()} AND seq >= 4`).run();
    file.prepare(`UPDATE events SET seq = seq - 999 WHERE ${orgRows()} AND seq >= 1004`).run();
    file
      .prepare(
        `INSERT INTO events (org_id, id, seq, type, category, result, actor_id, actor_type, occurred_at, received_at, prev_hash, hash)
         SELECT org_id, 'forged', 4, type, category, result, 'intruder', actor_type, occurred_at, received_at, hash, hash FROM events WHERE ${orgRows()} AND seq = 3`,
      )
      .run();
    const report = await verify();
    assert.equal(report.ok, false);
    assert.equal(report.first_bad_seq, 4);
  });

  it('detects a swapped pair', async () => {
    file.prepare(`UPDATE events SET seq = -6 WHERE ${orgRows()} AND seq = 6`).run();
    file.prepare(`UPDATE events SET seq = 6 WHERE ${orgRows()} AND seq = 7`).run();
    file.prepare(`UPDATE events SET seq = 7 WHERE ${orgRows()} AND seq = -6`).run();
    const report = await verify();
    assert.equal(report.first_bad_seq, 6);
  });

  it('detects a truncated tail', async () => {
    file.prepare(`DELETE FROM events WHERE ${orgRows()} AND seq >= 7`).run();
    const report = await verify();
    assert.equal(report.first_bad_seq, 7);
    assert.match(report.reason, /removed from the end/);
  });
});

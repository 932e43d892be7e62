import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { sampleEvent, startTestApp, type TestApp } from '../helpers/test-app.ts';
import { openRawSql, type RawSql } from '../helpers/test-database.ts';

/** Tampering goes straight to the database, as an attacker with disk or database access would. */
describe('GET /v1/integrity/verify', () => {
  let t: TestApp;
  let file: RawSql;
  beforeEach(async () => {
    t = await startTestApp();
    const events = Array.from({ length: 8 }, (_, i) => sampleEvent({ action: `action ${i + 1}`, metadata: { i } }));
    assert.equal((await t.request('POST', '/v1/events', { body: { events } })).status, 201);
    await t.createOrg('bystander').then((o) => t.request('POST', '/v1/events', { key: o.key, body: sampleEvent() }));
    file = await openRawSql(t.config);
  });
  afterEach(async () => {
    await file.close();
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
    await file.run(`UPDATE events SET metadata = '{"i":99}' WHERE ${orgRows()} AND seq = 5`);
    const report = await verify();
    assert.equal(report.ok, false);
    assert.equal(report.first_bad_seq, 5);
  });

  it('detects a deleted row', async () => {
    await file.run(`DELETE FROM events WHERE ${orgRows()} AND seq = 3`);
    const report = await verify();
    assert.equal(report.first_bad_seq, 3);
    assert.match(report.reason, /missing/);
  });

  it('detects an inserted row', async () => {
    await file.run(`UPDATE events SET seq = seq + 1000 WHERE ${orgRows()} AND seq >= 4`);
    await file.run(`UPDATE events SET seq = seq - 999 WHERE ${orgRows()} AND seq >= 1004`);
    await file.run(
      `INSERT INTO events (pk, org_id, id, seq, type, category, result, actor_id, actor_type, occurred_at, received_at, prev_hash, hash)
       SELECT (SELECT max(pk) + 1 FROM events), org_id, 'forged', 4, type, category, result, 'intruder', actor_type,
         occurred_at, received_at, hash, hash FROM events WHERE ${orgRows()} AND seq = 3`,
    );
    const report = await verify();
    assert.equal(report.ok, false);
    assert.equal(report.first_bad_seq, 4);
  });

  it('detects a swapped pair', async () => {
    await file.run(`UPDATE events SET seq = -6 WHERE ${orgRows()} AND seq = 6`);
    await file.run(`UPDATE events SET seq = 6 WHERE ${orgRows()} AND seq = 7`);
    await file.run(`UPDATE events SET seq = 7 WHERE ${orgRows()} AND seq = -6`);
    const report = await verify();
    assert.equal(report.first_bad_seq, 6);
  });

  it('detects a truncated tail', async () => {
    await file.run(`DELETE FROM events WHERE ${orgRows()} AND seq >= 7`);
    const report = await verify();
    assert.equal(report.first_bad_seq, 7);
    assert.match(report.reason, /removed from the end/);
  });

  it('detects a row added past the head', async () => {
    await file.run(
      `INSERT INTO events (pk, org_id, id, seq, type, category, result, actor_id, actor_type, occurred_at, received_at, prev_hash, hash)
       SELECT (SELECT max(pk) + 1 FROM events), org_id, 'appended', 9, type, category, result, 'intruder', actor_type,
         occurred_at, received_at, hash, hash FROM events WHERE ${orgRows()} AND seq = 8`,
    );
    const report = await verify();
    assert.equal(report.ok, false);
    assert.equal(report.first_bad_seq, 9);
    assert.match(report.reason, /beyond the chain head/);
  });

  it('passes while entries are being appended', async () => {
    // Several pages of chain, so appends land while a verification is between its pages.
    for (let i = 0; i < 12; i++) {
      const events = Array.from({ length: 500 }, (_, k) => sampleEvent({ action: `p${i}-${k}` }));
      assert.equal((await t.request('POST', '/v1/events', { body: { events } })).status, 201);
    }
    let appending = true;
    const writer = (async () => {
      for (let i = 0; appending && i < 200; i++) {
        const events = Array.from({ length: 50 }, (_, k) => sampleEvent({ action: `w${i}-${k}` }));
        assert.equal((await t.request('POST', '/v1/events', { body: { events } })).status, 201);
      }
    })();
    try {
      for (let run = 0; run < 8; run++) {
        const report = await verify();
        assert.equal(report.ok, true, JSON.stringify(report));
        assert.ok(report.checked >= 8);
      }
    } finally {
      appending = false;
      await writer;
    }
  });
});

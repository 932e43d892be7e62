import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { verifyExport } from '../../src/integrity/offline-verify.ts';
import { waitForExport } from '../helpers/exports.ts';
import { waitFor } from '../helpers/otlp-receiver.ts';
import { sampleEvent, startTestApp, type Session, type TestApp } from '../helpers/test-app.ts';
import { rawQuery } from '../helpers/test-database.ts';

// Values only the subject's entries hold, so that finding them anywhere on disk is a leak.
const SUBJECT = {
  id: 'user-zed-7f3a',
  email: 'Zed.Erasable@example.test',
  name: 'Zed Erasable-Name',
  ip: '203.0.113.177',
  ua: 'ZedAgent/9.9.1',
  phone: '+1-555-0199-zed',
};

/** Every file under `dir` that holds `needle` (UTF-8), by path relative to `dir`. */
function filesHolding(dir: string, needle: string): string[] {
  const found: string[] = [];
  const walk = (at: string) => {
    for (const item of fs.readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, item.name);
      if (item.isDirectory()) walk(full);
      else if (fs.readFileSync(full).includes(Buffer.from(needle, 'utf8'))) found.push(path.relative(dir, full));
    }
  };
  walk(dir);
  return found;
}

describe('erasure', () => {
  let t: TestApp;
  let owner: Session;
  beforeEach(async () => {
    t = await startTestApp();
    await t.createUser(t.org.id, 'owner@acme.test', 'owner');
    owner = await t.quietSession('owner@acme.test');
  });
  afterEach(() => t.close());

  const ingest = async (events: Array<Record<string, unknown>>) => {
    const res = await t.request('POST', '/v1/events', { body: { events } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.events as Array<{ id: string; seq: number }>;
  };
  const erase = async (body: Record<string, unknown>) => {
    const res = await t.request('POST', '/v1/erasures', { as: owner, body });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return waitForExport(async () => (await t.request('GET', `/v1/erasures/${res.body.id}`, { as: owner })).body);
  };
  const entry = async (id: string) => (await t.request('GET', `/v1/events/${id}`)).body;
  const verify = async () => (await t.request('GET', '/v1/integrity/verify')).body;

  /** The subject as actor, as on-behalf-of, as target, in a listed metadata field; and others' entries. */
  async function seed() {
    const settings = await t.request('PATCH', '/v1/settings', { as: owner, body: { personal_fields: ['metadata.contact.phone', 'request.body.email'] } });
    assert.equal(settings.status, 200, JSON.stringify(settings.body));
    const subjectActor = { id: SUBJECT.id, email: SUBJECT.email, name: SUBJECT.name };
    return ingest([
      sampleEvent({ actor: subjectActor, ip: SUBJECT.ip, user_agent: SUBJECT.ua, metadata: { contact: { phone: SUBJECT.phone }, plan: 'pro' } }),
      sampleEvent({ type: 'user.updated', actor: { id: 'admin-1', email: 'admin@example.com', on_behalf_of: { id: SUBJECT.id, email: SUBJECT.email } }, ip: '198.51.100.1' }),
      sampleEvent({ type: 'user.role_changed', actor: { id: 'admin-1', email: 'admin@example.com' }, target: { type: 'user', id: SUBJECT.id, name: SUBJECT.name } }),
      sampleEvent({ type: 'invite.sent', actor: { id: 'admin-1' }, request: { method: 'POST', path: '/invites', body: { email: SUBJECT.email.toUpperCase() } } }),
      sampleEvent({ actor: { id: 'user-2', email: 'bea@example.com', name: 'Bea' }, ip: '198.51.100.2', user_agent: 'Other/1.0' }),
    ]);
  }

  it('writes entries under hash version 2, each personal field committed by its own salt', async () => {
    const [first] = await seed();
    const stored = await entry(first!.id);
    assert.equal(stored.hash_version, 2);
    assert.deepEqual(Object.keys(stored.personal).sort(), ['actor.email', 'actor.id', 'actor.name', 'ip', 'metadata.contact.phone', 'user_agent']);
    const salts = Object.values(stored.personal).map((field: any) => field.salt);
    assert.ok(salts.every((salt: string) => /^[0-9a-f]{32}$/.test(salt)));
    assert.equal(new Set(salts).size, salts.length, 'a salt per field');
    assert.equal((await verify()).ok, true);

    // A changed salt, or a value changed without it, is a changed field.
    const row = async () => (await rawQuery<{ personal: string }>(t.config, 'SELECT personal FROM events WHERE id = ?', [first!.id]))[0]!;
    const original = (await row()).personal;
    const tampered = JSON.parse(original);
    tampered['actor.name'].salt = '00'.repeat(16);
    await rawQuery(t.config, 'UPDATE events SET personal = ? WHERE id = ?', [JSON.stringify(tampered), first!.id]);
    assert.equal((await verify()).first_bad_seq, first!.seq);
    await rawQuery(t.config, 'UPDATE events SET personal = ?, actor_name = ? WHERE id = ?', [original, 'Someone Else', first!.id]);
    assert.equal((await verify()).first_bad_seq, first!.seq);
  });

  it('previews, then erases a subject by role, and every chain, checkpoint and proof still verifies', async () => {
    const [asActor, asObo, asTarget, asListed, other] = await seed();
    const checkpoint = await t.request('POST', '/v1/integrity/checkpoints', { as: owner });
    assert.equal(checkpoint.status, 201);
    const proofBefore = (await t.request('GET', `/v1/events/${asTarget!.id}/proof`)).body;
    const otherBefore = await entry(other!.id);

    const preview = await erase({ subject: { actor_id: SUBJECT.id }, reason: 'DSAR-1 (dry run)', dry_run: true });
    assert.equal(preview.status, 'completed', JSON.stringify(preview));
    assert.equal(preview.result.entries, 3);
    assert.deepEqual(preview.result.fields, {
      'actor.id': 1, 'actor.email': 1, 'actor.name': 1, ip: 1, user_agent: 1, 'metadata.contact.phone': 1,
      'actor.on_behalf_of.id': 1, 'actor.on_behalf_of.email': 1, 'target.name': 1,
    });
    assert.equal((await entry(asActor!.id)).actor.email, SUBJECT.email, 'a dry run changes nothing');

    const done = await erase({ subject: { actor_id: SUBJECT.id }, reason: 'DSAR-1' });
    assert.equal(done.status, 'completed', JSON.stringify(done));
    assert.equal(done.result.entries, 3);
    assert.equal(done.progress, 1);
    const actorEntry = await entry(asActor!.id);
    assert.deepEqual(actorEntry.actor, { id: '[erased]', type: 'user', email: '[erased]', name: '[erased]' });
    assert.equal(actorEntry.ip, '[erased]');
    assert.equal(actorEntry.user_agent, '[erased]');
    assert.deepEqual(actorEntry.metadata, { contact: { phone: '[erased]' }, plan: 'pro' });
    assert.match(actorEntry.personal['actor.email'].commitment, /^[0-9a-f]{64}$/);
    assert.equal(actorEntry.personal['actor.email'].salt, undefined);
    assert.deepEqual((await entry(asObo!.id)).actor.on_behalf_of, { id: '[erased]', email: '[erased]' });
    assert.equal((await entry(asObo!.id)).actor.id, 'admin-1', "the admin who acted keeps their identity");
    assert.deepEqual((await entry(asTarget!.id)).target, { type: 'user', id: SUBJECT.id, name: '[erased]' });
    assert.deepEqual(await entry(other!.id), otherBefore, "others' entries are untouched");
    assert.ok((await entry(asListed!.id)).request.body.email, 'an email subject is a separate erasure');

    assert.equal((await verify()).ok, true);
    const latest = (await t.request('GET', '/v1/integrity/checkpoints')).body.latest;
    assert.equal(latest.root_hash, checkpoint.body.root_hash);
    assert.deepEqual((await t.request('GET', `/v1/events/${asTarget!.id}/proof`)).body, proofBefore);

    const search = await t.request('GET', `/v1/events?q=${encodeURIComponent(SUBJECT.name)}`);
    assert.equal(search.body.events.length, 0, JSON.stringify(search.body));
    const recorded = (await t.request('GET', '/v1/events?type=data.erased')).body.events;
    assert.equal(recorded.length, 1);
    assert.equal(recorded[0].metadata.entries, 3);
    assert.equal(recorded[0].metadata.subject.kind, 'actor_id');
    assert.match(recorded[0].metadata.subject.hash, /^[0-9a-f]{64}$/);
    assert.doesNotMatch(JSON.stringify(recorded[0]), /zed/i, 'the subject is never recorded in clear');

    // Exports made after it carry the marker, never the values.
    for (const format of ['csv', 'jsonl']) {
      const queued = await t.request('POST', '/v1/exports', { as: owner, body: { name: `after ${format}`, format } });
      assert.equal(queued.status, 202, JSON.stringify(queued.body));
      const get = async () => (await t.request('GET', `/v1/exports/${queued.body.id}`, { as: owner })).body;
      assert.equal((await waitForExport(get)).status, 'completed');
      const file = await fetch(`${t.url}/v1/exports/${queued.body.id}/download`, { headers: { cookie: owner.cookie } });
      const text = await file.text();
      assert.equal(file.status, 200, text);
      assert.ok(text.includes('[erased]'), `${format} shows the marker`);
      assert.ok(!text.includes(SUBJECT.email) && !text.includes(SUBJECT.ua), `${format} holds none of the erased values`);
    }

    // Offline: the JSONL of the chain and the checkpoint verify without the server.
    const lines = [];
    for (let seq = 0; ; ) {
      const page = await t.app.services.store.bySeq(t.org.id, seq, 1000);
      if (page.length === 0) break;
      lines.push(...page.map((e) => JSON.stringify(e)));
      seq = page.at(-1)!.seq;
    }
    const file = path.join(t.dataDir, '..', `erasure-${Date.now()}.jsonl`);
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    const key = (await t.request('GET', '/v1/integrity/keys')).body.keys.find((k: any) => k.key_id === checkpoint.body.key_id);
    try {
      const report = await verifyExport({ file, checkpoint: { note: checkpoint.body.note, publicKeyPem: key.public_key_pem } });
      assert.equal(report.ok, true, JSON.stringify(report));
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  it('erases by email, in listed fields too, and leaves no trace in the stored data', async () => {
    await seed();
    const exp = await t.request('POST', '/v1/exports', { as: owner, body: { name: 'everything', format: 'jsonl' } });
    assert.equal(exp.status, 202, JSON.stringify(exp.body));
    assert.equal((await waitForExport(async () => (await t.request('GET', `/v1/exports/${exp.body.id}`, { as: owner })).body)).status, 'completed');
    await t.app.services.indexer.catchUp();

    const done = await erase({ subject: { email: SUBJECT.email.toLowerCase() }, reason: 'DSAR-2' });
    assert.equal(done.status, 'completed', JSON.stringify(done));
    assert.equal(done.result.entries, 3, JSON.stringify(done.result));
    assert.equal(done.result.fields['request.body.email'], 1);
    assert.equal(done.result.exports_expired, 1);
    assert.equal((await t.request('GET', `/v1/exports/${exp.body.id}`, { as: owner })).body.status, 'expired');
    assert.equal((await verify()).ok, true);
    const erasedIp = await erase({ subject: { ip: SUBJECT.ip }, reason: 'DSAR-2b' });
    assert.equal(erasedIp.result.entries, 0, 'the IP went with the actor');
    assert.equal((await t.request('GET', `/v1/events?q=${encodeURIComponent(SUBJECT.name)}`)).body.events.length, 1, 'as a target (by id) the name stays');
    const byId = await erase({ subject: { actor_id: SUBJECT.id }, reason: 'DSAR-2c' });
    assert.deepEqual(byId.result.fields, { 'target.name': 1 });

    for (const term of [SUBJECT.email, SUBJECT.email.toLowerCase(), SUBJECT.email.toUpperCase(), SUBJECT.name, SUBJECT.ip, SUBJECT.ua, SUBJECT.phone]) {
      assert.equal((await t.request('GET', `/v1/events?q=${encodeURIComponent(term)}`)).body.events.length, 0, term);
    }
    const mentions = await rawQuery<{ n: number | string }>(
      t.config,
      "SELECT count(*) AS n FROM events WHERE actor_email = ? OR obo_email = ? OR actor_name = ? OR ip = ? OR user_agent = ? OR metadata LIKE ? OR req_body LIKE ?",
      [SUBJECT.email, SUBJECT.email, SUBJECT.name, SUBJECT.ip, SUBJECT.ua, `%${SUBJECT.phone}%`, '%zed.erasable%'],
    );
    assert.equal(Number(mentions[0]!.n), 0);
    if (t.config.databaseUrl) {
      // PostgreSQL: no query reads them from the search documents either.
      const docs = await rawQuery<{ n: number | string }>(t.config, 'SELECT count(*) AS n FROM search_docs WHERE doc LIKE ? OR doc LIKE ?',
        ['%zed.erasable%', `%${SUBJECT.ua.toLowerCase()}%`]);
      assert.equal(Number(docs[0]!.n), 0);
    } else {
      // The data dir's files (database, write-ahead logs, search index, exports) hold none of it.
      for (const value of [SUBJECT.email, SUBJECT.email.toUpperCase(), SUBJECT.email.toLowerCase(), SUBJECT.name, SUBJECT.ua, SUBJECT.phone]) {
        assert.deepEqual(filesHolding(t.dataDir, value), [], value);
      }
    }
  });

  it("erases the subject from alerts fired about them and from Auditum's alert.triggered entries", async () => {
    const minute = new Date(Date.now() - 60_000).toISOString().slice(0, 17);
    await ingest([1, 2, 3, 4, 5].map((s) => ({
      type: 'login.failure', result: 'failed', ip: SUBJECT.ip,
      actor: { id: SUBJECT.id, email: SUBJECT.email, name: SUBJECT.name }, occurred_at: `${minute}0${s}.000Z`,
    })));
    const triggered = async () => (await t.request('GET', '/v1/events?type=alert.triggered')).body.events;
    await waitFor('alert.triggered', async () => (await triggered()).length > 0);
    assert.match((await triggered())[0].action, /Zed Erasable-Name/);

    const done = await erase({ subject: { actor_id: SUBJECT.id }, reason: 'DSAR-4' });
    assert.equal(done.status, 'completed', JSON.stringify(done));
    for (const entry of await triggered()) {
      assert.equal(entry.action, '[erased]');
      assert.equal(entry.metadata.group_key, '[erased]');
      assert.equal(entry.target.type, 'alert', 'what fired stays readable');
    }
    const alerts = (await t.request('GET', '/v1/alerts', { as: owner })).body.alerts;
    assert.ok(alerts.length > 0);
    for (const alert of alerts.filter((a: any) => a.group?.by === 'actor')) {
      assert.deepEqual([alert.group.value, alert.group.label], ['[erased]', '[erased]']);
      assert.doesNotMatch(alert.link, /zed/i);
    }
    assert.equal((await t.request('GET', `/v1/events?q=${encodeURIComponent(SUBJECT.name)}`)).body.events.length, 0);
    assert.equal((await verify()).ok, true);
  });

  it('works on a chain whose prefix retention purged, and the purge goes on working after it', async () => {
    const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();
    const subject = { id: SUBJECT.id, email: SUBJECT.email };
    await ingest([40, 39, 2, 1].map((n) => sampleEvent({ actor: subject, occurred_at: daysAgo(n) })));
    assert.equal((await t.request('PUT', '/v1/settings/retention', { as: owner, body: { retention_days: 30 } })).status, 200);
    const first = await t.app.services.retention.run(t.org.id);
    assert.ok(first.purged >= 2, JSON.stringify(first));
    const done = await erase({ subject: { email: SUBJECT.email }, reason: 'DSAR-5' });
    assert.equal(done.result.entries, 2, JSON.stringify(done.result));
    assert.equal((await verify()).ok, true);
    assert.equal((await t.request('PUT', '/v1/settings/retention', { as: owner, body: { retention_days: 1 } })).status, 200);
    assert.ok((await t.app.services.retention.run(t.org.id)).purged >= 1);
    assert.equal((await verify()).ok, true, 'the anchor still starts the chain');
  });

  it('refuses bad requests, other roles, and a legal hold, writing nothing', async () => {
    await seed();
    for (const body of [
      {}, { subject: {}, reason: 'x' }, { subject: { actor_id: 'a', email: 'b' }, reason: 'x' }, { subject: { ip: 'nope' }, reason: 'x' },
      { subject: { actor_id: 'a' } }, { subject: { actor_id: 'a' }, reason: 'x', from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' },
      { subject: { actor_id: 'a' }, reason: 'x', extra: 1 },
    ]) {
      const res = await t.request('POST', '/v1/erasures', { as: owner, body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error.code, 'invalid_request');
    }
    await t.createUser(t.org.id, 'admin@acme.test', 'admin');
    const admin = await t.quietSession('admin@acme.test');
    const body = { subject: { actor_id: SUBJECT.id }, reason: 'x' };
    assert.equal((await t.request('POST', '/v1/erasures', { as: admin, body })).status, 403);
    const adminKey = (await t.app.services.apiKeys.create(t.org.id, { name: 'admin', scopes: ['admin'] })).key;
    assert.equal((await t.request('POST', '/v1/erasures', { key: adminKey, body })).status, 403);
    assert.equal((await t.request('GET', '/v1/erasures/00000000-0000-7000-8000-000000000000', { as: owner })).status, 404);

    assert.equal((await t.request('PUT', '/v1/settings/retention', { as: owner, body: { retention_days: 365, legal_hold: true } })).status, 200);
    const held = await t.request('POST', '/v1/erasures', { as: owner, body });
    assert.equal(held.status, 409);
    assert.equal(held.body.error.code, 'legal_hold');
    assert.equal((await t.request('GET', '/v1/erasures', { as: owner })).body.erasures.length, 0);
    assert.equal((await t.request('GET', '/v1/events?type=data.erasure_requested')).body.events.length, 0);
  });

  it('refuses to erase entries written under hash version 1 unless told to skip them', async () => {
    const [legacy] = await ingest([sampleEvent({ actor: { id: SUBJECT.id, email: SUBJECT.email } })]);
    await rewriteAsVersion1(t, legacy!.id);
    const [current] = await ingest([sampleEvent({ actor: { id: SUBJECT.id, email: SUBJECT.email } })]);
    assert.equal((await verify()).ok, true, 'version 1 and 2 entries verify side by side');
    assert.equal((await entry(legacy!.id)).hash_version, undefined);

    const refused = await erase({ subject: { actor_id: SUBJECT.id }, reason: 'DSAR-3' });
    assert.equal(refused.status, 'failed');
    assert.match(refused.error, /hash version 1.*skip_legacy/);
    assert.equal(refused.result.legacy_entries, 1);
    assert.equal((await entry(current!.id)).actor.email, SUBJECT.email, 'nothing was erased');

    const done = await erase({ subject: { actor_id: SUBJECT.id }, reason: 'DSAR-3', skip_legacy: true });
    assert.equal(done.status, 'completed');
    assert.equal(done.result.entries, 1);
    assert.equal(done.result.legacy_entries, 1);
    assert.equal((await entry(current!.id)).actor.email, '[erased]');
    assert.equal((await entry(legacy!.id)).actor.email, SUBJECT.email);
    assert.equal((await verify()).ok, true);
  });
});

/**
 * Makes the organization's first entry one an earlier Auditum wrote (hash version 1): no salts, the
 * hash over the values. Only the first of a one-entry chain, whose hash is the chain head's too.
 */
async function rewriteAsVersion1(t: TestApp, id: string) {
  const { entryHash } = await import('../../src/events/hash-chain.ts');
  const stored = (await t.request('GET', `/v1/events/${id}`)).body;
  const { hash_version: _v, personal: _p, hash: _h, ...v1 } = stored;
  const hash = entryHash(v1);
  await rawQuery(t.config, 'UPDATE events SET hash_version = 1, personal = NULL, hash = ? WHERE id = ?', [hash, id]);
  await rawQuery(t.config, 'UPDATE chain_heads SET last_hash = ? WHERE org_id = ?', [hash, t.org.id]);
}

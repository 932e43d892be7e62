import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { KEY_KINDS } from '../../src/keys/key-kinds.ts';
import { createLogger } from '../../src/log.ts';
import { startApp, type RunningApp } from '../../src/main.ts';
import { waitFor } from '../helpers/otlp-receiver.ts';
import { runCliProcess } from '../helpers/process.ts';
import { verifyInclusion } from '../helpers/rfc6962.ts';
import { noteKeyId, noteVerifies } from '../helpers/signed-note.ts';
import { freshDataDir, sampleEvent, startTestApp, type TestApp } from '../helpers/test-app.ts';
import { dropDatabase, freshPostgresUrl, openRawSql, TEST_SECRET_KEY } from '../helpers/test-database.ts';

// scripts/run-tests.mjs gives the PostgreSQL half a server; the SQLite half has one only when the caller set it.
const skip = process.env.AUDITUM_TEST_DATABASE_URL ? false : 'db copy needs a PostgreSQL target: AUDITUM_TEST_DATABASE_URL is not set';
if (skip) console.log(`# db copy test skipped: ${skip}`);

const DAY = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString();
const b64 = (text: string) => Buffer.from(text, 'base64');

async function ingest(t: TestApp, key: string, n: number, overrides: Record<string, unknown> = {}) {
  const events = Array.from({ length: n }, (_, i) => sampleEvent({ action: `copied ${i}`, ...overrides }));
  const res = await t.request('POST', '/v1/events', { key, body: { events } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.events as Array<{ id: string; seq: number }>;
}

describe('auditum db copy', () => {
  it('moves an SQLite installation to PostgreSQL: it verifies there, keys and sessions work, old proofs hold', {
    skip,
    timeout: 300_000,
  }, async () => {
    // The source: an SQLite data dir whatever the run's dialect, with its key-encryption key kept there.
    const t = await startTestApp({ databaseUrl: undefined });
    const targetDir = freshDataDir('auditum-copy-target');
    let url: string | undefined;
    let target: RunningApp | undefined;
    try {
      // acme: entries past retention (purged below, leaving a retention anchor), then recent ones.
      await ingest(t, t.org.key, 20, { occurred_at: daysAgo(400) });
      const globex = await t.createOrg('globex');
      await t.createUser(t.org.id, 'owner@acme.test', 'owner');
      const owner = await t.signIn('owner@acme.test');
      const adminKey = (await t.app.services.apiKeys.create(t.org.id, { name: 'admin', scopes: ['admin'] })).key;
      const recent = await ingest(t, t.org.key, 15);
      // globex: entries of older months, which need partitions of their own on the target.
      await ingest(t, globex.key, 10, { occurred_at: daysAgo(70) });
      await ingest(t, globex.key, 10, { occurred_at: daysAgo(40) });
      await ingest(t, globex.key, 5);
      const purge = await t.app.services.retention.run(t.org.id);
      assert.equal(purge.purged, 20);
      const otel = { endpoint_url: 'https://collector.example.com/v1/logs', headers: { authorization: 'Bearer x' }, enabled: false };
      assert.equal((await t.request('PUT', '/v1/otel-export', { key: adminKey, body: otel })).status, 200);
      for (const org of [t.org, globex]) await t.app.services.checkpoints.create(org.id);
      const proof = (await t.request('GET', `/v1/events/${recent[7]!.id}/proof`)).body;
      const sourceKeys = KEY_KINDS.map((kind) => t.app.services.keyring.all(kind).map((k) => k.material.toString('hex')));
      const count = async (key: string) => (await t.request('GET', '/v1/events?limit=500', { key })).body.events.length;
      const counts = { acme: await count(t.org.key), globex: await count(globex.key) };
      await t.app.close();

      url = await freshPostgresUrl();
      const env = { AUDITUM_DATA_DIR: targetDir, AUDITUM_SECRET_KEY: TEST_SECRET_KEY, AUDITUM_LOG_LEVEL: 'silent' };
      const copy = await runCliProcess(['db', 'copy', '--from', t.dataDir, '--to', url], env);
      assert.equal(copy.code, 0, copy.stderr);
      assert.match(copy.stdout, /^copied 2 organization\(s\), \d+ entries, 2 checkpoint\(s\), 3 key\(s\) from /);
      assert.equal(copy.stderr, '', 'no progress without a terminal');

      for (const slug of ['acme', 'globex']) {
        const verified = await runCliProcess(['verify', '--org', slug, '--database-url', url], env);
        assert.equal(verified.code, 0, `${slug}: ${verified.stdout} ${verified.stderr}`);
        assert.equal(JSON.parse(verified.stdout).ok, true);
      }
      const raw = await openRawSql({ dataDir: targetDir, databaseUrl: url });
      try {
        const [outside] = await raw.all<{ n: number }>('SELECT count(*)::int AS n FROM events_default');
        assert.equal(outside!.n, 0, 'every entry is in its month\'s partition');
        const [anchor] = await raw.all<{ seq: number }>('SELECT seq FROM retention_anchors');
        assert.equal(Number(anchor!.seq), 20, 'the retention anchor came along');
      } finally {
        await raw.close();
      }

      const settings = { port: 0, host: '127.0.0.1', logLevel: 'silent', dataDir: targetDir, databaseUrl: url, secretKey: TEST_SECRET_KEY };
      const config = loadConfig({}, settings);
      target = await startApp(config, createLogger('silent'));
      const on = target;
      const get = (route: string, headers: Record<string, string>) =>
        fetch(`${on.url}${route}`, { headers }).then(async (r) => ({ status: r.status, body: await r.json() }));
      const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
      const events = await get('/v1/events?limit=500', bearer(t.org.key));
      assert.equal(events.status, 200, 'an API key made before the copy authenticates');
      assert.equal(events.body.events.length, counts.acme);
      assert.equal((await get('/v1/events?limit=500', bearer(globex.key))).body.events.length, counts.globex);
      assert.equal((await get('/v1/auth/me', { cookie: owner.cookie })).status, 200, 'a session from before the copy too');

      const latest = (await get('/v1/integrity/checkpoints', bearer(t.org.key))).body.latest;
      assert.equal(latest.tree_size, proof.tree_size);
      assert.equal(latest.root_hash, proof.root_hash, 'the same root');
      const path = proof.audit_path.map(b64);
      const holds = verifyInclusion(proof.leaf_index, proof.tree_size, b64(proof.leaf_hash), path, b64(latest.root_hash));
      assert.ok(holds, 'the old proof holds');
      assert.deepEqual((await get(`/v1/events/${recent[7]!.id}/proof`, bearer(t.org.key))).body, proof);
      const keys = (await get('/v1/integrity/keys', bearer(t.org.key))).body.keys;
      const signer = keys.find((k: { key_id: string }) => k.key_id === noteKeyId(latest.note));
      assert.ok(signer && noteVerifies(latest.note, signer.public_key_pem), 'the checkpoint signature verifies on the target');
      assert.deepEqual(KEY_KINDS.map((kind) => on.services.keyring.all(kind).map((k) => k.material.toString('hex'))), sourceKeys);
      // The search index is not copied: the target builds its own.
      const found = async () => (await get('/v1/events?q=copied', bearer(globex.key))).body.events.length;
      await waitFor('search on the target', async () => (await found()) === 25);

      const again = await runCliProcess(['db', 'copy', '--from', t.dataDir, '--to', url], env);
      assert.equal(again.code, 2);
      assert.match(again.stderr, /^auditum: the target database already has 2 organization\(s\)/);
    } finally {
      await target?.close();
      await t.close();
      fs.rmSync(targetDir, { recursive: true, force: true });
      await dropDatabase(url);
    }
  });
});

import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { jwtVerify } from 'jose';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { startApp, type RunningApp } from '../../src/main.ts';
import { KEY_KINDS } from '../../src/keys/key-kinds.ts';
import { startOtlpReceiver, waitFor } from '../helpers/otlp-receiver.ts';
import { expectedKeyId, noteKeyId, noteVerifies } from '../helpers/signed-note.ts';
import { freshDataDir, PASSWORD, reopenTestApp, sampleEvent, startTestApp, type TestApp } from '../helpers/test-app.ts';
import { dropDatabase, freshDatabaseUrl, openRawSql, TEST_DIALECT, TEST_SECRET_KEY } from '../helpers/test-database.ts';

const otherKey = () => randomBytes(32).toString('base64');

/** Every stored key row, read around Auditum. */
async function keyRows(t: { dataDir: string; config: { databaseUrl?: string } }) {
  const raw = await openRawSql({ dataDir: t.dataDir, databaseUrl: t.config.databaseUrl });
  try {
    return await raw.all<{ kind: string; version: number; ciphertext: string; created_at: number }>(
      'SELECT kind, version, ciphertext, created_at FROM key_material ORDER BY kind, version',
    );
  } finally {
    await raw.close();
  }
}

/** Starting a server on `t`'s database with these settings fails; resolves to the error. */
async function startFails(t: TestApp, overrides: Record<string, unknown>): Promise<Error> {
  let app: RunningApp | undefined;
  try {
    app = await startApp(loadConfig({}, { ...t.config, port: 0, ...overrides }), createLogger('silent'));
  } catch (error) {
    return error as Error;
  }
  await app.close();
  throw new Error('the server started');
}

describe('key material in the database', () => {
  it('a restarted server keeps its keys: sessions, viewer tokens, checkpoint signatures, sealed header values', async () => {
    const t = await startTestApp({ otelRetryBaseMs: 50, otelRetryMaxMs: 400 });
    const receiver = await startOtlpReceiver();
    let again: Awaited<ReturnType<typeof reopenTestApp>> | undefined;
    try {
      await t.createUser(t.org.id, 'owner@acme.test', 'owner');
      const owner = await t.signIn('owner@acme.test');
      const viewer = await t.request('POST', '/v1/viewer-tokens', { as: owner, body: { viewer: { id: 'cust-1' } } });
      assert.equal(viewer.status, 201, JSON.stringify(viewer.body));
      assert.equal((await t.request('POST', '/v1/events', { body: sampleEvent() })).status, 201);
      const checkpoint = await t.request('POST', '/v1/integrity/checkpoints', { as: owner });
      assert.equal(checkpoint.status, 201, JSON.stringify(checkpoint.body));
      const otel = { endpoint_url: receiver.url, headers: { Authorization: 'Bearer kept-over-restart' }, start: 'now' };
      assert.equal((await t.request('PUT', '/v1/otel-export', { as: owner, body: otel })).status, 200);
      const keysBefore = (await t.request('GET', '/v1/integrity/keys')).body.keys;
      await t.app.close();

      again = await reopenTestApp(t);
      const me = await fetch(`${again.url}/v1/auth/me`, { headers: { cookie: owner.cookie } });
      assert.equal(me.status, 200, 'the session cookie still signs in');
      const read = await again.request('GET', '/v1/events', { key: viewer.body.token });
      assert.equal(read.status, 200, 'the viewer token still verifies');
      const keysAfter = (await again.request('GET', '/v1/integrity/keys')).body.keys;
      assert.deepEqual(keysAfter, keysBefore, 'the same checkpoint keys');
      const signer = keysAfter.find((k: { key_id: string }) => k.key_id === noteKeyId(checkpoint.body.note));
      assert.ok(signer && noteVerifies(checkpoint.body.note, signer.public_key_pem), 'the old checkpoint verifies');
      assert.equal((await again.request('GET', '/v1/integrity/verify')).body.ok, true);
      // The sealed header value opens after the restart: the receiver gets it with the next entry.
      assert.equal((await again.request('POST', '/v1/events', { body: sampleEvent() })).status, 201);
      const delivered = await waitFor('an OTLP request after the restart', () => receiver.accepted.at(-1));
      assert.equal(delivered.headers.authorization, 'Bearer kept-over-restart');
      assert.deepEqual((await keyRows(t)).map((r) => [r.kind, r.version]), KEY_KINDS.map((k) => [k, 1]).sort());
    } finally {
      await receiver.stop();
      await (again ?? t).close();
    }
  });

  it('holds no key in clear: neither the keys (raw, hex, base64) nor the key-encryption key', async () => {
    const t = await startTestApp();
    try {
      await t.app.services.keys.rotate();
      const keys = KEY_KINDS.flatMap((kind) => t.app.services.keyring.all(kind));
      assert.equal(keys.length, 4);
      const kek = t.config.secretKey ?? fs.readFileSync(path.join(t.dataDir, 'secret-kek.key'), 'utf8').trim();
      const secrets: Buffer[] = [Buffer.from(kek, 'base64')];
      for (const { kind, material } of keys) {
        secrets.push(material);
        // The Ed25519 seed alone, as some tools would write it.
        if (kind === 'checkpoint_signing') secrets.push(material.subarray(-32));
      }
      const forms = secrets.flatMap((s) => [s.toString('hex'), s.toString('base64'), s.toString('base64url')]);
      const rows = await keyRows(t);
      assert.equal(rows.length, 4);
      const stored = JSON.stringify(rows);
      for (const form of forms) assert.ok(!stored.includes(form), 'a key is stored in clear');
      for (const row of rows) {
        const bytes = Buffer.from(row.ciphertext, 'base64');
        for (const secret of secrets) assert.equal(bytes.indexOf(secret), -1, 'a ciphertext holds a key');
      }
      if (TEST_DIALECT === 'sqlite') {
        await t.app.close();
        for (const file of fs.readdirSync(t.dataDir).filter((f) => f.startsWith('auditum.db'))) {
          const content = fs.readFileSync(path.join(t.dataDir, file));
          for (const secret of secrets) assert.equal(content.indexOf(secret), -1, `${file} holds a raw key`);
          for (const form of forms) assert.equal(content.indexOf(form), -1, `${file} holds a key as text`);
        }
      }
    } finally {
      await t.close();
    }
  });

  it('refuses to start with the wrong key-encryption key, and writes no new key', async () => {
    const t = await startTestApp();
    try {
      await t.app.close();
      const before = await keyRows(t);
      const error = await startFails(t, { secretKey: otherKey() });
      assert.match(error.message, /^AUDITUM_SECRET_KEY does not decrypt the stored keys/);
      assert.ok(!error.message.includes(t.config.secretKey ?? '\u0000'), 'the message holds no key');
      const file = path.join(t.dataDir, 'other.key');
      fs.writeFileSync(file, `${randomBytes(32).toString('hex')}\n`);
      const fromFile = await startFails(t, { secretKey: undefined, secretKeyFile: file });
      assert.match(fromFile.message, /^AUDITUM_SECRET_KEY_FILE \(.*other\.key\) does not decrypt the stored keys/);
      fs.writeFileSync(file, 'not a key');
      assert.match((await startFails(t, { secretKey: undefined, secretKeyFile: file })).message, /must hold 32 bytes/);
      assert.deepEqual(await keyRows(t), before, 'the stored keys are unchanged');
      // With the right key it starts again.
      const again = await reopenTestApp(t);
      assert.equal((await again.request('GET', '/v1/events')).status, 200);
      await again.app.close();
    } finally {
      fs.rmSync(t.dataDir, { recursive: true, force: true });
      await dropDatabase(t.config.databaseUrl);
    }
  });

  it('SQLite keeps the key-encryption key in the data dir; one that is replaced or missing stops start-up', {
    skip: TEST_DIALECT !== 'sqlite' && 'on PostgreSQL the key-encryption key is always configured',
  }, async () => {
    const t = await startTestApp();
    try {
      const file = path.join(t.dataDir, 'secret-kek.key');
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      await t.app.close();
      const original = fs.readFileSync(file);
      fs.writeFileSync(file, `${otherKey()}\n`);
      assert.match((await startFails(t, {})).message, /secret-kek\.key does not decrypt the stored keys/);
      fs.rmSync(file);
      assert.match((await startFails(t, {})).message, /secret-kek\.key is missing and the database holds keys/);
      assert.ok(!fs.existsSync(file), 'no new key-encryption key was made');
      // The key can also be given as configuration, e.g. the same text in AUDITUM_SECRET_KEY.
      const again = await reopenTestApp({ ...t, config: loadConfig({}, { ...t.config, secretKey: original.toString('utf8') }) });
      await again.app.close();
      fs.writeFileSync(file, original, { mode: 0o600 });
    } finally {
      await t.close();
    }
  });

  it('imports the key files a data dir of an older version holds, and leaves them in place', async () => {
    const dataDir = freshDataDir('auditum-oldkeys');
    // As the older version wrote them: raw bytes, and a JSON list of PKCS#8 PEM keys, oldest first.
    const tokenKey = randomBytes(32);
    const secretKey = randomBytes(32);
    const pairs = [generateKeyPairSync('ed25519'), generateKeyPairSync('ed25519')];
    const list = pairs.map(({ privateKey, publicKey }, i) => ({
      key_id: expectedKeyId(publicKey),
      created_at: Date.UTC(2024, 0, 1 + i),
      private_pem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    }));
    const files = {
      'token-signing.key': tokenKey,
      'secret.key': secretKey,
      'checkpoint-keys.json': Buffer.from(JSON.stringify({ keys: list }, null, 2)),
    };
    for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dataDir, name), content, { mode: 0o600 });

    const t = await startTestApp({ dataDir });
    try {
      assert.ok(t.app.services.keyring.current('token_signing').equals(tokenKey));
      assert.ok(t.app.services.keyring.current('secret_box').equals(secretKey));
      const keys = (await t.request('GET', '/v1/integrity/keys')).body.keys;
      const listed = keys.map((k: { key_id: string; active: boolean }) => [k.key_id, k.active]);
      assert.deepEqual(listed, [[list[1]!.key_id, true], [list[0]!.key_id, false]]);
      assert.equal(keys[1].created_at, new Date(list[0]!.created_at).toISOString());
      await t.createUser(t.org.id, 'owner@acme.test', 'owner');
      const owner = await t.signIn('owner@acme.test', PASSWORD);
      const checkpoint = await t.request('POST', '/v1/integrity/checkpoints', { as: owner });
      assert.equal(noteKeyId(checkpoint.body.note), list[1]!.key_id, 'the newest imported key signs');
      const newest = createPublicKey(createPrivateKey(list[1]!.private_pem)).export({ format: 'pem', type: 'spki' }).toString();
      assert.ok(noteVerifies(checkpoint.body.note, newest));
      const viewer = await t.request('POST', '/v1/viewer-tokens', { as: owner, body: { viewer: { id: 'cust-1' } } });
      await jwtVerify(viewer.body.token, tokenKey);
      for (const [name, content] of Object.entries(files)) {
        assert.ok(fs.readFileSync(path.join(dataDir, name)).equals(content), `${name} is left as it was`);
      }
      assert.equal((await keyRows(t)).length, 4);
      await t.app.close();
      // Imported once: a second start reads the database and adds nothing.
      const again = await reopenTestApp(t);
      assert.equal((await again.request('GET', '/v1/integrity/keys')).body.keys.length, 2);
      await again.app.close();
      assert.equal((await keyRows(t)).length, 4);
    } finally {
      await t.app.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
      await dropDatabase(t.config.databaseUrl);
    }
  });

  it('refuses to start on an older key file it cannot import, without quoting it', async () => {
    const dataDir = freshDataDir('auditum-badkeys');
    const url = await freshDatabaseUrl();
    try {
      const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
      const file = path.join(dataDir, 'checkpoint-keys.json');
      fs.writeFileSync(file, `{"keys": [{"key_id": "00", "private_pem": ${JSON.stringify(pem)}`, { mode: 0o600 });
      const config = loadConfig({}, { port: 0, host: '127.0.0.1', dataDir, databaseUrl: url, secretKey: url ? TEST_SECRET_KEY : undefined });
      const error = await startApp(config, createLogger('silent')).then(
        async (app) => {
          await app.close();
          throw new Error('the server started');
        },
        (failure: Error) => failure,
      );
      assert.match(error.message, /checkpoint-keys\.json: it is not the JSON key list older versions wrote$/);
      assert.ok(!error.message.includes(pem.split('\n')[1]!), 'the message quotes no key');
      const raw = await openRawSql({ dataDir, databaseUrl: url });
      try {
        assert.deepEqual(await raw.all('SELECT kind FROM key_material'), [], 'nothing was stored');
      } finally {
        await raw.close();
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
      await dropDatabase(url);
    }
  });

  it('servers starting at once on one fresh database end with one key of each kind, and see rotations', {
    skip: TEST_DIALECT !== 'postgres' && 'needs PostgreSQL: several servers share a database only there',
  }, async () => {
    const url = await freshDatabaseUrl();
    const dirs = [freshDataDir(), freshDataDir(), freshDataDir()];
    const start = (dataDir: string) => {
      const settings = { port: 0, host: '127.0.0.1', logLevel: 'silent', dataDir, databaseUrl: url, secretKey: TEST_SECRET_KEY };
      const config = loadConfig({}, settings);
      return startApp(config, createLogger('silent'));
    };
    const apps = await Promise.all(dirs.map(start));
    try {
      const raw = await keyRows({ dataDir: dirs[0]!, config: { databaseUrl: url } });
      assert.deepEqual(raw.map((r) => [r.kind, r.version]), KEY_KINDS.map((k) => [k, 1]).sort());
      for (const kind of KEY_KINDS) {
        for (const app of apps) assert.ok(app.services.keyring.current(kind).equals(apps[0]!.services.keyring.current(kind)), kind);
      }
      const [a, b] = apps as [RunningApp, RunningApp];
      const org = await a.services.orgs.create('acme');
      const { key } = await a.services.apiKeys.create(org.id, { scopes: ['admin'] });
      const call = (app: RunningApp, method: string, route: string, body?: unknown, bearer = key) =>
        fetch(`${app.url}${route}`, {
          method,
          headers: { authorization: `Bearer ${bearer}`, ...(body ? { 'content-type': 'application/json' } : {}) },
          body: body ? JSON.stringify(body) : undefined,
        }).then(async (r) => ({ status: r.status, body: await r.json() }));
      const viewer = await call(a, 'POST', '/v1/viewer-tokens', { viewer: { id: 'cust-1' } });
      const read = await call(b, 'GET', '/v1/events', undefined, viewer.body.token);
      assert.equal(read.status, 200, 'a token of one server works on another');

      const rotated = await a.services.keys.rotate();
      const listed = (await call(b, 'GET', '/v1/integrity/keys')).body.keys;
      assert.equal(listed[0].key_id, rotated, 'the other server lists the new key first');
      await call(b, 'POST', '/v1/events', { events: [sampleEvent()] });
      const checkpoint = await call(b, 'POST', '/v1/integrity/checkpoints');
      assert.equal(checkpoint.body.key_id, rotated, 'and signs with it');
    } finally {
      await Promise.all(apps.map((app) => app.close()));
      for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
      await dropDatabase(url);
    }
  });
});

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { freePort, runCliProcess } from '../helpers/process.ts';
import { freshDataDir } from '../helpers/test-app.ts';
import { databaseEnv, dropDatabase, freshDatabaseUrl, openRawSql, TEST_DIALECT } from '../helpers/test-database.ts';

/** `serve` is expected to stop by itself; past this it is killed and the test fails. */
const REFUSAL_MS = 120_000;

describe('start-up with key material the configuration cannot open', () => {
  it('PostgreSQL without AUDITUM_SECRET_KEY refuses to start in one line naming the variables, making no key', {
    skip: TEST_DIALECT !== 'postgres' && 'needs PostgreSQL (the PostgreSQL half of the run has AUDITUM_TEST_DATABASE_URL)',
    timeout: REFUSAL_MS + 10_000,
  }, async () => {
    const url = (await freshDatabaseUrl())!;
    const dataDir = freshDataDir('auditum-nokek');
    try {
      const env = { AUDITUM_DATA_DIR: dataDir, AUDITUM_DATABASE_URL: url, AUDITUM_SECRET_KEY: '', PORT: String(await freePort()) };
      const served = await runCliProcess(['serve'], { ...env, HOST: '127.0.0.1', AUDITUM_LOG_LEVEL: 'silent' }, REFUSAL_MS);
      assert.equal(served.code, 2, served.stderr);
      const lines = served.stderr.trim().split('\n');
      assert.equal(lines.length, 1, served.stderr);
      assert.match(lines[0]!, /^auditum: a key-encryption key is required .*AUDITUM_SECRET_KEY .*AUDITUM_SECRET_KEY_FILE/);
      const raw = await openRawSql({ dataDir, databaseUrl: url });
      try {
        assert.deepEqual(await raw.all('SELECT kind FROM key_material'), [], 'no key was made');
      } finally {
        await raw.close();
      }
      assert.deepEqual(fs.readdirSync(dataDir), [], 'nothing in the data dir either');
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
      await dropDatabase(url);
    }
  });

  it('a wrong key-encryption key refuses to start in one line, and the message holds no key', {
    timeout: REFUSAL_MS + 30_000,
  }, async () => {
    const url = await freshDatabaseUrl();
    const dataDir = freshDataDir('auditum-wrongkek');
    try {
      const env = { AUDITUM_DATA_DIR: dataDir, AUDITUM_LOG_LEVEL: 'silent', ...databaseEnv(url) };
      // The first command makes the keys (SQLite: with the key-encryption key it keeps in the data dir).
      const created = await runCliProcess(['org', 'create', 'acme'], env);
      assert.equal(created.code, 0, created.stderr);
      const wrong = randomBytes(32).toString('base64');
      const serveEnv = { ...env, AUDITUM_SECRET_KEY: wrong, HOST: '127.0.0.1', PORT: String(await freePort()) };
      const served = await runCliProcess(['serve'], serveEnv, REFUSAL_MS);
      assert.equal(served.code, 2, served.stderr);
      const line = 'auditum: AUDITUM_SECRET_KEY does not decrypt the stored keys; configure the key they were stored with';
      assert.equal(served.stderr.trim(), line);
      assert.ok(!`${served.stdout}${served.stderr}`.includes(wrong));
      // With the right one, the same database is still usable.
      const verified = await runCliProcess(['verify', '--org', 'acme'], env);
      assert.equal(verified.code, 0, verified.stderr);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
      await dropDatabase(url);
    }
  });
});

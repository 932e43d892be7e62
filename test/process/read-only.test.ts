import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { freshDataDir, sampleEvent, startTestApp, type TestApp } from '../helpers/test-app.ts';
import { TEST_DIALECT } from '../helpers/test-database.ts';
import { runCliProcess } from '../helpers/process.ts';
import { waitForExport } from '../helpers/exports.ts';
import { bindReadOnly, cannotMount, unmount } from '../helpers/mounts.ts';

const scratch = freshDataDir('auditum-readonly');
const skip = cannotMount(scratch);
if (skip) console.log(`# read-only tests skipped: ${skip}`);

const OTEL = { endpoint_url: 'https://collector.example.com/v1/logs', headers: { authorization: 'Bearer secret' }, enabled: false };

describe('a read-only data directory', { skip: TEST_DIALECT === 'postgres' && 'on PostgreSQL the database is not in the data directory' }, () => {
  after(() => fs.rmSync(scratch, { recursive: true, force: true }));

  // Root ignores chmod, so the directory is bind-mounted read-only over itself while the server
  // runs: the database files it has open stay writable, every new file or folder fails (EROFS).
  // No request writes a new file in the data dir any more (keys are in the database), so the 503
  // storage_read_only answer is met here only through what fails: exports and the CLI.
  it('fails an export with the reason, still stores sealed settings, and the CLI says so in one line', { skip, timeout: 120_000 }, async () => {
    let t: TestApp | undefined;
    try {
      // Made here: on PostgreSQL nothing is written to the data dir before the first export.
      const dataDir = path.join(scratch, 'data');
      fs.mkdirSync(dataDir, { mode: 0o700 });
      t = await startTestApp({ dataDir, jobRetryBaseMs: 10 });
      const app = t;
      const admin = (await app.app.services.apiKeys.create(app.org.id, { name: 'admin', scopes: ['admin'] })).key;
      assert.equal((await app.request('POST', '/v1/events', { body: { events: [sampleEvent(), sampleEvent()] } })).status, 201);

      bindReadOnly(app.dataDir);
      try {
        // Sealing a header value needs no file (the key is in the database, whose open files stay writable).
        const otel = await app.request('PUT', '/v1/otel-export', { key: admin, body: OTEL });
        assert.equal(otel.status, 200, JSON.stringify(otel.body));

        // The export's folder cannot be made: every attempt fails, and the last one fails the export, saying why.
        const queued = await app.request('POST', '/v1/exports', { key: admin, body: { name: 'all', format: 'csv' } });
        assert.equal(queued.status, 202, JSON.stringify(queued.body));
        const done = await waitForExport(async () => (await app.request('GET', `/v1/exports/${queued.body.id}`, { key: admin })).body);
        assert.equal(done.status, 'failed', JSON.stringify(done));
        assert.match(done.error, /read-only/);
        assert.match(done.error, /EROFS/);
        assert.ok(!done.error.includes(app.dataDir), `the reason names no server path: ${done.error}`);
        const job = await app.app.services.jobs.get(queued.body.id);
        assert.equal(job?.state, 'failed');
        assert.equal(job?.attempts, 3);

        // The CLI names the problem and the data directory in one line, without a stack trace.
        const cli = await runCliProcess(['org', 'create', 'globex'], { AUDITUM_DATA_DIR: app.dataDir, AUDITUM_LOG_LEVEL: 'silent' });
        assert.equal(cli.code, 1, cli.stderr);
        const lines = cli.stderr.trim().split('\n');
        assert.equal(lines.length, 1, cli.stderr);
        assert.match(lines[0]!, /^auditum: storage is read-only/);
        assert.ok(lines[0]!.includes(app.dataDir), lines[0]);
        assert.match(lines[0]!, /EROFS/);
      } finally {
        unmount(app.dataDir);
      }

      // Writable again: the same requests work, with nothing to restart.
      assert.equal((await app.request('PUT', '/v1/otel-export', { key: admin, body: OTEL })).status, 200);
      const again = await app.request('POST', '/v1/exports', { key: admin, body: { name: 'all', format: 'csv' } });
      const completed = await waitForExport(async () => (await app.request('GET', `/v1/exports/${again.body.id}`, { key: admin })).body);
      assert.equal(completed.status, 'completed', JSON.stringify(completed));
    } finally {
      await t?.close();
    }
  });
});

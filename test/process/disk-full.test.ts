import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freshDataDir, sampleEvent, startTestApp, type TestApp } from '../helpers/test-app.ts';
import { TEST_DIALECT } from '../helpers/test-database.ts';
import { freePort, runCliProcess, startServerProcess, waitForExit } from '../helpers/process.ts';
import { cannotMount, fillDisk, mountTmpfs, unmount } from '../helpers/mounts.ts';

const scratch = freshDataDir('auditum-diskfull');
const OTEL = { endpoint_url: 'https://collector.example.com/v1/logs', headers: { authorization: 'secret' }, enabled: false };
const skip = cannotMount(scratch);
if (skip) console.log(`# disk-full tests skipped: ${skip}`);

/** Polls `check` every 50 ms until it returns a value, at most `timeoutMs`. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

describe('a full disk', { skip: TEST_DIALECT === 'postgres' && 'on PostgreSQL the database lives on the server\'s own disk (its disk_full, 53100, answers storage_full too)' }, () => {
  after(() => fs.rmSync(scratch, { recursive: true, force: true }));

  it('answers 503 storage_full, keeps serving, stores no partial batch, and recovers when space returns', { skip, timeout: 120_000 }, async () => {
    const disk = fs.mkdtempSync(path.join(scratch, 'disk-'));
    mountTmpfs(disk, 8);
    let t: TestApp | undefined;
    try {
      t = await startTestApp({ dataDir: path.join(disk, 'data'), jobRetryBaseMs: 10 });
      const app = t;
      const admin = (await app.app.services.apiKeys.create(app.org.id, { name: 'admin', scopes: ['admin'] })).key;
      const acknowledged: string[] = [];
      let batchNo = 0;
      const ingest = async () => {
        const events = Array.from({ length: 50 }, (_, i) => sampleEvent({ id: `b${batchNo}-${i}`, metadata: { pad: 'x'.repeat(400) } }));
        batchNo += 1;
        const res = await app.request('POST', '/v1/events', { body: { events } });
        if (res.status === 201) acknowledged.push(...events.map((e) => e.id as string));
        return { res, ids: events.map((e) => e.id as string) };
      };
      for (let i = 0; i < 5; i++) assert.equal((await ingest()).res.status, 201);
      // A key never used yet: its first use records last_used_at, which the full disk will refuse.
      const reader = (await app.app.services.apiKeys.create(app.org.id, { name: 'reader', scopes: ['events:read'] })).key;

      const dummy = path.join(disk, 'dummy');
      fillDisk(dummy);
      // SQLite reuses space its WAL already has, so a few batches may still fit: ingest until one does not.
      let rejected: Awaited<ReturnType<typeof ingest>> | undefined;
      for (let i = 0; i < 400 && !rejected; i++) {
        const attempt = await ingest();
        if (attempt.res.status !== 201) rejected = attempt;
      }
      assert.ok(rejected, 'ingest reached the full disk');
      const { res: full, ids: lostIds } = rejected;
      assert.equal(full.status, 503, JSON.stringify(full.body));
      assert.equal(full.body.error.code, 'storage_full');
      assert.match(full.body.error.message, /full/);
      assert.match(full.headers.get('retry-after') ?? '', /^\d+$/);
      // Later writes answer the same (no transaction left open), a file write too (the OTLP header key), and the server lives.
      assert.equal((await ingest()).res.status, 503);
      const otel = await app.request('PUT', '/v1/otel-export', { key: admin, body: OTEL });
      assert.equal(otel.status, 503, JSON.stringify(otel.body));
      assert.equal(otel.body.error.code, 'storage_full');
      assert.equal((await fetch(`${app.url}/healthz`)).status, 200);
      const read = await app.request('GET', '/v1/events?limit=1', { key: reader });
      assert.equal(read.status, 200, `reads go on: ${JSON.stringify(read.body)}`);

      // Nothing of a refused batch was stored, and the chain holds exactly what was acknowledged.
      assert.equal((await app.request('GET', `/v1/events/${lostIds[0]}`)).status, 404);
      assert.equal((await app.request('GET', `/v1/events/${lostIds.at(-1)}`)).status, 404);
      const whileFull = await app.request('GET', '/v1/integrity/verify');
      assert.deepEqual([whileFull.body.ok, whileFull.body.checked], [true, acknowledged.length]);

      fs.rmSync(dummy);
      const recovered = await waitFor('ingest to work again', async () => ((await ingest()).res.status === 201 ? true : undefined));
      assert.ok(recovered);
      assert.equal((await ingest()).res.status, 201);
      const verified = await app.request('GET', '/v1/integrity/verify');
      assert.deepEqual([verified.body.ok, verified.body.checked], [true, acknowledged.length]);
      assert.equal((await app.app.services.store.head(app.org.id)).lastSeq, acknowledged.length);
      // The search indexer (its own thread) backed off while the disk was full and caught up after.
      const indexed = () => app.app.services.database.search.indexedSeq(app.org.id);
      await waitFor('the search index to catch up', async () => ((await indexed()) === acknowledged.length ? true : undefined), 60_000);
      const otelAgain = await app.request('PUT', '/v1/otel-export', { key: admin, body: OTEL });
      assert.equal(otelAgain.status, 200, `no short key file was left behind: ${JSON.stringify(otelAgain.body)}`);
    } finally {
      try {
        await t?.close();
      } finally {
        unmount(disk);
      }
    }
  });

  it('keeps serving with its log (stdout) on the full disk, and reports the dropped lines once it can write', { skip, timeout: 120_000 }, async () => {
    const disk = fs.mkdtempSync(path.join(scratch, 'logdisk-'));
    const dataDir = fs.mkdtempSync(path.join(scratch, 'data-'));
    mountTmpfs(disk, 1);
    const logFile = path.join(disk, 'server.log');
    const logFd = fs.openSync(logFile, 'a');
    let server: Awaited<ReturnType<typeof startServerProcess>> | undefined;
    try {
      const env = { AUDITUM_DATA_DIR: dataDir, AUDITUM_LOG_LEVEL: 'silent' };
      assert.equal((await runCliProcess(['org', 'create', 'acme'], env)).code, 0);
      const key = (await runCliProcess(['apikey', 'create', '--org', 'acme'], env)).stdout.trim().split('\n').at(-1)!;
      const dummy = path.join(disk, 'dummy');
      fillDisk(dummy);
      // Every request logs two lines at info level: all of them hit ENOSPC.
      server = await startServerProcess({ ...env, AUDITUM_LOG_LEVEL: 'info', PORT: String(await freePort()) }, { stdout: logFd });
      const { child, url } = server;
      // A server stuck on its log would never answer: every request has a deadline.
      const post = () =>
        fetch(`${url}/v1/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ events: [sampleEvent()] }),
          signal: AbortSignal.timeout(5000),
        });
      for (let i = 0; i < 200; i++) assert.equal((await post()).status, 201);
      assert.equal((await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) })).status, 200);
      await sleep(200);
      assert.equal(child.exitCode, null, `the server is alive: ${server.output()}`);

      fs.rmSync(dummy);
      const report = await waitFor('the dropped-lines report in the log', async () => {
        await post();
        const line = fs.readFileSync(logFile, 'utf8').split('\n').find((l) => l.includes('log lines could not be written'));
        return line ? (JSON.parse(line) as { dropped: number; reason: string }) : undefined;
      });
      assert.ok(report.dropped >= 400, `counted the dropped lines (${report.dropped})`);
      assert.match(report.reason, /ENOSPC/);
      child.kill('SIGTERM');
      assert.equal(await waitForExit(child), 0, server.output());
      server = undefined;
    } finally {
      if (server) {
        server.child.kill('SIGKILL');
        await waitForExit(server.child);
      }
      fs.closeSync(logFd);
      unmount(disk);
    }
  });
});

describe('a log reader that goes away', () => {
  it('keeps serving when stdout is a pipe nobody reads any more (EPIPE)', { timeout: 120_000 }, async () => {
    const dataDir = freshDataDir('auditum-epipe');
    try {
      const env = { AUDITUM_DATA_DIR: dataDir, AUDITUM_LOG_LEVEL: 'silent' };
      assert.equal((await runCliProcess(['org', 'create', 'acme'], env)).code, 0);
      const server = await startServerProcess({ ...env, AUDITUM_LOG_LEVEL: 'info', PORT: String(await freePort()) });
      try {
        // Closing our end of the pipe: the server's next log write gets EPIPE.
        server.child.stdout!.destroy();
        for (let i = 0; i < 50; i++) assert.equal((await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(5000) })).status, 200);
        await sleep(200);
        assert.equal(server.child.exitCode, null, server.output());
      } finally {
        server.child.kill('SIGTERM');
        await waitForExit(server.child);
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freshDataDir, sampleEvent, startTestApp, type TestApp } from '../helpers/test-app.ts';
import { waitForExport } from '../helpers/exports.ts';
import { openDatabase } from '../../src/db/database.ts';
import { TEST_DIALECT } from '../helpers/test-database.ts';

/** Every file and directory under `root` (itself included) whose mode lets group or others in. */
function readableByOthers(root: string): string[] {
  const open: string[] = [];
  const walk = (at: string) => {
    const stat = fs.lstatSync(at);
    if ((stat.mode & 0o077) !== 0) open.push(`${path.relative(root, at) || '.'} ${(stat.mode & 0o777).toString(8)}`);
    if (stat.isDirectory()) for (const name of fs.readdirSync(at)) walk(path.join(at, name));
  };
  walk(root);
  return open;
}

describe('data directory permissions', () => {
  const parent = freshDataDir('auditum-modes');
  let t: TestApp;
  let umask: number;
  before(async () => {
    // With no umask at all, only the modes Auditum asks for protect the files.
    umask = process.umask(0);
    t = await startTestApp({ dataDir: path.join(parent, 'data') });
  });
  after(async () => {
    await t.close();
    process.umask(umask);
    fs.rmSync(parent, { recursive: true, force: true });
  });

  it('creates every directory 0700 and every file 0600 (database, WAL, index, key-encryption key, exports)', async () => {
    const admin = (await t.app.services.apiKeys.create(t.org.id, { name: 'admin', scopes: ['admin'] })).key;
    assert.equal((await t.request('POST', '/v1/events', { body: { events: [sampleEvent(), sampleEvent()] } })).status, 201);
    const otelBody = { endpoint_url: 'https://collector.example.com/v1/logs', headers: { authorization: 'secret' }, enabled: false };
    const otel = await t.request('PUT', '/v1/otel-export', { key: admin, body: otelBody });
    assert.equal(otel.status, 200, JSON.stringify(otel.body));
    for (const format of ['csv', 'xlsx', 'jsonl']) {
      const queued = await t.request('POST', '/v1/exports', { key: admin, body: { name: format, format } });
      const done = await waitForExport(async () => (await t.request('GET', `/v1/exports/${queued.body.id}`, { key: admin })).body);
      assert.equal(done.status, 'completed', JSON.stringify(done));
    }
    await t.app.services.checkpoints.create(t.org.id);

    const names = fs.readdirSync(t.dataDir);
    // On PostgreSQL the data dir holds only export files: the database, and the keys in it, are elsewhere.
    const expectedNames = TEST_DIALECT === 'sqlite'
      ? ['auditum.db', 'auditum.db-wal', 'auditum.db-shm', 'search.db', 'search.db-wal', 'search.db-shm', 'secret-kek.key']
      : [];
    expectedNames.push('exports');
    for (const expected of expectedNames) {
      assert.ok(names.includes(expected), `${expected} exists (${names.join(', ')})`);
    }
    assert.equal(fs.readdirSync(path.join(t.dataDir, 'exports', t.org.id)).length, 3, 'the three export files');
    assert.deepEqual(readableByOthers(t.dataDir), []);
  });

  it('tightens database files an older version left readable to others', async () => {
    const dataDir = path.join(parent, 'older');
    const first = await openDatabase({ dataDir, sync: 'normal' });
    await first.close();
    const files = fs.readdirSync(dataDir).map((name) => path.join(dataDir, name));
    for (const file of files) fs.chmodSync(file, 0o644);
    const reopened = await openDatabase({ dataDir, sync: 'normal' });
    try {
      assert.deepEqual(readableByOthers(dataDir), []);
    } finally {
      await reopened.close();
    }
  });
});

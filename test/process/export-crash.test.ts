import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'csv-parse/sync';
import { loadConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/database.ts';
import { eventInputSchema } from '../../src/events/event.schemas.ts';
import { createServices } from '../../src/main.ts';
import { COLUMNS } from '../helpers/exports.ts';
import { freePort, startServerProcess, waitForExit } from '../helpers/process.ts';
import { processStore } from '../helpers/test-app.ts';

const TOTAL = 40_000;

/** Fills a data dir in-process (fast) with one organization, an API key and TOTAL entries. */
async function seed(dataDir: string, databaseUrl: string | undefined, env: Record<string, string>): Promise<{ orgId: string; key: string }> {
  const config = loadConfig(env, { dataDir, databaseUrl });
  const database = await openDatabase({ dataDir, url: databaseUrl, sync: 'normal' });
  try {
    const services = await createServices(database, config);
    const org = await services.orgs.create('acme');
    const { key } = await services.apiKeys.create(org.id, { scopes: ['events:read'] });
    for (let i = 0; i < TOTAL; i += 1000) {
      const batch = Array.from({ length: 1000 }, (_, k) =>
        eventInputSchema.parse({ type: 'user.login', actor: { id: `user-${(i + k) % 500}`, email: `u${(i + k) % 500}@example.com` }, action: `login number ${i + k}, from "somewhere"`, metadata: { n: i + k } }),
      );
      await services.store.append(org.id, batch);
    }
    return { orgId: org.id, key };
  } finally {
    await database.close();
  }
}

describe('kill -9 during an export', () => {
  const store = processStore('auditum-export-crash');

  it('resumes the export after restart and completes it with every row; no partial file is left', async () => {
    const { dataDir } = store;
    const { orgId, key } = await seed(dataDir, store.databaseUrl, store.env());
    const env = { ...store.env(), AUDITUM_SQLITE_SYNC: 'normal' };
    const port = String(await freePort());
    const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const server = await startServerProcess({ ...env, PORT: port });
    const created = await fetch(`${server.url}/v1/exports`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'big one', format: 'csv' }) });
    assert.equal(created.status, 202);
    const { id } = (await created.json()) as { id: string };
    const status = async (url: string) => (await (await fetch(`${url}/v1/exports/${id}`, { headers: auth })).json()) as { status: string; rows_written: number; progress: number };

    // Kill it mid-export: running, with rows written but not all of them.
    let seen: { status: string; rows_written: number } | undefined;
    for (let i = 0; i < 2000; i++) {
      seen = await status(server.url);
      if (seen.status === 'running' && seen.rows_written >= 4_000) break;
      if (seen.status === 'completed') break;
      await sleep(5);
    }
    server.child.kill('SIGKILL');
    await waitForExit(server.child);
    assert.equal(seen?.status, 'running', `caught the export mid-run (${JSON.stringify(seen)})`);
    assert.ok(seen!.rows_written < TOTAL);

    const restarted = await startServerProcess({ ...env, PORT: port });
    try {
      let done: { status: string; rows_written: number; progress: number } | undefined;
      for (let i = 0; i < 1200; i++) {
        done = await status(restarted.url);
        if (!['queued', 'running'].includes(done.status)) break;
        await sleep(50);
      }
      assert.equal(done?.status, 'completed', JSON.stringify(done));
      assert.equal(done!.rows_written, TOTAL);
      assert.equal(done!.progress, 1);
      assert.match(restarted.output(), /resuming jobs left running by a previous process/);

      const res = await fetch(`${restarted.url}/v1/exports/${id}/download`, { headers: auth });
      assert.equal(res.status, 200);
      const records = parse(Buffer.from(await res.arrayBuffer()).toString('utf8'), { bom: true }) as string[][];
      assert.deepEqual(records[0], COLUMNS);
      assert.equal(records.length, TOTAL + 1, 'every row, each once');
      const seqColumn = COLUMNS.indexOf('seq');
      const seqs = records.slice(1).map((row) => Number(row[seqColumn])).sort((a, b) => a - b);
      seqs.forEach((seq, i) => assert.equal(seq, i + 1));
      const files = fs.readdirSync(path.join(dataDir, 'exports', orgId));
      assert.deepEqual(files, [`${id}.csv`], 'only the finished file, no .partial');
    } finally {
      restarted.child.kill('SIGTERM');
      await waitForExit(restarted.child);
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createClient } from '@auditum/client';
import { waitFor } from '../helpers/otlp-receiver.ts';
import { freePort, runCliProcess, startServerProcess, waitForExit } from '../helpers/process.ts';
import { watchClient } from '../helpers/sdk.ts';
import { processStore } from '../helpers/test-app.ts';
import { rawQuery } from '../helpers/test-database.ts';

describe('@auditum/client across a server restart', () => {
  const store = processStore('auditum-sdk-restart');

  it('kill -9 while events are being sent, a restart: every event stored once, none lost', async () => {
    const env = { ...store.env(), AUDITUM_LOG_LEVEL: 'silent' };
    assert.equal((await runCliProcess(['org', 'create', 'acme'], env)).code, 0);
    const key = (await runCliProcess(['apikey', 'create', '--org', 'acme'], env)).stdout.trim().split('\n').at(-1)!;
    const port = String(await freePort());
    let server = await startServerProcess({ ...env, PORT: port });

    const client = createClient({
      url: server.url,
      apiKey: key,
      maxBatchSize: 50,
      maxWaitMs: 5,
      whenFull: 'wait',
      maxQueueSize: 500,
      retry: { baseDelayMs: 50, maxDelayMs: 500 },
      exitWarning: false,
    });
    const seen = watchClient(client);
    const total = 3000;
    const producing = (async () => {
      for (let i = 0; i < total; i++) {
        await client.record({ type: 'user.login', actor: { id: `u${i % 7}` }, action: `r-${i}` });
      }
    })();
    try {
      await waitFor('some batches acknowledged', () => client.stats().sent >= 500, 30_000);
      server.child.kill('SIGKILL');
      await waitForExit(server.child);
      await waitFor('the client retrying', () => seen.retries.length > 0, 10_000);
      server = await startServerProcess({ ...env, PORT: port });
      await producing;
      await client.flush();
      assert.deepEqual(seen.errors, [], 'nothing given up on');
      assert.ok(seen.retries.some((r) => r.error.code === 'network_error'), 'batches were sent again after the kill');

      const ours = "org_id = (SELECT id FROM orgs WHERE slug = 'acme') AND action LIKE 'r-%'";
      const rows = await rawQuery<{ action: string }>(store, `SELECT action FROM events WHERE ${ours}`);
      const counts = new Map<string, number>();
      for (const { action } of rows) counts.set(action, (counts.get(action) ?? 0) + 1);
      const twice = [...counts].filter(([, n]) => n > 1).map(([a]) => a);
      const missing = Array.from({ length: total }, (_, i) => `r-${i}`).filter((a) => !counts.has(a));
      assert.deepEqual({ twice, missing }, { twice: [], missing: [] });
      assert.equal(rows.length, total);
      const report = await client.integrity.verify();
      assert.equal(report.ok, true);
      assert.ok(report.checked >= total);
    } finally {
      await client.close();
      server.child.kill('SIGTERM');
      await waitForExit(server.child);
    }
  });
});

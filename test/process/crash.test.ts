import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { processStore } from '../helpers/test-app.ts';
import { freePort, runCliProcess, startServerProcess, waitForExit } from '../helpers/process.ts';

describe('kill -9 during ingest', () => {
  const store = processStore('auditum-crash');

  it('loses no acknowledged event and the chain still verifies after restart', async () => {
    const env = { ...store.env(), AUDITUM_LOG_LEVEL: 'silent' };
    assert.equal((await runCliProcess(['org', 'create', 'acme'], env)).code, 0);
    const created = await runCliProcess(['apikey', 'create', '--org', 'acme'], env);
    const key = created.stdout.trim().split('\n').at(-1)!;
    const port = String(await freePort());
    const server = await startServerProcess({ ...env, PORT: port });

    const acknowledged: string[] = [];
    let stop = false;
    let next = 0;
    const client = async (worker: number) => {
      // Bounded: at most 400 batches per client, and it stops as soon as the server is gone.
      for (let round = 0; round < 400 && !stop; round++) {
        const events = Array.from({ length: 50 }, () => ({ id: `w${worker}-${next++}`, type: 'user.login', actor: { id: `u${worker}` } }));
        try {
          const res = await fetch(`${server.url}/v1/events`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: JSON.stringify({ events }),
          });
          if (res.status === 201) acknowledged.push(...events.map((e) => e.id));
          else await res.body?.cancel();
        } catch {
          return; // the connection died with the server: this batch was never acknowledged
        }
      }
    };
    const clients = [0, 1, 2, 3].map(client);
    for (let i = 0; i < 100 && acknowledged.length < 2000; i++) await sleep(50);
    server.child.kill('SIGKILL');
    await waitForExit(server.child);
    stop = true;
    await Promise.all(clients);
    assert.ok(acknowledged.length >= 1000, `load was running when killed (${acknowledged.length} acknowledged)`);

    const restarted = await startServerProcess({ ...env, PORT: port });
    try {
      const stored = new Set<string>();
      let cursor: string | null = null;
      for (let page = 0; page < 1000; page++) {
        const res = await fetch(`${restarted.url}/v1/events?limit=500${cursor ? `&cursor=${cursor}` : ''}`, { headers: { authorization: `Bearer ${key}` } });
        const body = (await res.json()) as { events: Array<{ id: string }>; next_cursor: string | null };
        for (const e of body.events) stored.add(e.id);
        cursor = body.next_cursor;
        if (!cursor) break;
      }
      const lost = acknowledged.filter((id) => !stored.has(id));
      assert.deepEqual(lost, [], 'every acknowledged event survived');
      const verify = await fetch(`${restarted.url}/v1/integrity/verify`, { headers: { authorization: `Bearer ${key}` } });
      const report = (await verify.json()) as { ok: boolean; checked: number };
      assert.equal(report.ok, true);
      assert.equal(report.checked, stored.size);
    } finally {
      restarted.child.kill('SIGTERM');
      await waitForExit(restarted.child);
    }
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../helpers/otlp-receiver.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';
import { sampleEvent, startTestApp, type TestApp } from '../helpers/test-app.ts';
import { dropDatabase, freshDatabaseUrl, TEST_DIALECT } from '../helpers/test-database.ts';

const skip = TEST_DIALECT !== 'postgres' && 'a database server that goes away is a PostgreSQL condition (SQLite is a file in the process)';

describe('the database goes away while serving', { skip }, () => {
  let t: TestApp;
  let proxy: TcpProxy;
  let databaseUrl: string;
  before(async () => {
    databaseUrl = (await freshDatabaseUrl())!;
    const direct = new URL(databaseUrl);
    proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port) });
    const viaProxy = new URL(databaseUrl);
    viaProxy.port = String(proxy.port);
    t = await startTestApp({ databaseUrl: viaProxy.toString() });
  });
  after(async () => {
    await t.close();
    await proxy.close();
    await dropDatabase(databaseUrl);
  });

  it('answers 503 database_unavailable with Retry-After, stays alive, loses nothing acknowledged, and recovers', async () => {
    const acknowledged: string[] = [];
    const ingest = async () => {
      const res = await t.request('POST', '/v1/events', { body: { events: [sampleEvent(), sampleEvent()] } });
      if (res.status === 201) acknowledged.push(...res.body.events.map((e: { id: string }) => e.id));
      return res;
    };
    assert.equal((await ingest()).status, 201);

    proxy.cut();
    for (const res of [await ingest(), await t.request('GET', '/v1/events')]) {
      assert.equal(res.status, 503, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'database_unavailable');
      assert.ok(Number(res.headers.get('retry-after')) > 0);
      assert.doesNotMatch(res.body.error.message, /ECONN|terminated|pg/i, 'no driver message');
    }
    assert.equal((await t.request('GET', '/healthz', { key: null })).status, 200, 'the process is alive');

    proxy.restore();
    await waitFor('ingest to work again', async () => (await ingest()).status === 201, 20_000);
    const stored = await t.request('GET', '/v1/events?limit=100');
    const ids = new Set(stored.body.events.map((e: { id: string }) => e.id));
    for (const id of acknowledged) assert.ok(ids.has(id), `acknowledged ${id} is stored`);
    assert.equal((await t.request('GET', '/v1/integrity/verify')).body.ok, true);
  });
});

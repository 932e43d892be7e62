import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { serverId } from '../../src/work/server-id.ts';
import { apiCall, clusterEnv, clusterServers, removeCluster, seedOrgs, startClusterServer, stopClusterServer, type ClusterServer } from '../helpers/cluster.ts';
import { startOtlpReceiver, waitFor, type OtlpReceiver, type Reply } from '../helpers/otlp-receiver.ts';
import { dropDatabase, freshDatabaseUrl, rawQuery, TEST_DIALECT } from '../helpers/test-database.ts';

const ORG = 'solo';
const LEASE_MS = 2000;
const BATCH = 50;

const skip = TEST_DIALECT === 'postgres' ? false : 'several servers share one PostgreSQL database (the PostgreSQL half of the run)';

describe('a lease holder killed in the middle of a batch', { skip }, () => {
  let databaseUrl: string | undefined;
  let otlp: OtlpReceiver;
  let key = '';
  let servers: ClusterServer[] = [];
  const call = (server: ClusterServer, method: string, path: string, body?: unknown) => apiCall(server, key, method, path, body);
  const send = async (server: ClusterServer, from: number, count: number) => {
    const events = Array.from({ length: count }, (_, k) => ({ id: `e-${from + k}`, type: 'user.login', actor: { id: `marker${from + k}` } }));
    const res = await call(server, 'POST', '/v1/events', { events });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  };
  const holderOf = async (server: ClusterServer, task: string) => {
    const status = await call(server, 'GET', '/v1/cluster');
    assert.equal(status.status, 200, JSON.stringify(status.body));
    const holder = status.body.servers.find((s: any) => s.leases.some((l: any) => l.task === task));
    return { holder: holder?.id as string | undefined, status: status.body };
  };
  const durableCursor = async () => {
    const rows = await rawQuery<{ delivered_seq: unknown }>(
      { dataDir: servers[0]!.dataDir, databaseUrl },
      'SELECT d.delivered_seq FROM otel_delivery d JOIN orgs o ON o.id = d.org_id WHERE o.slug = ?',
      [ORG],
    );
    return Number(rows[0]!.delivered_seq);
  };

  before(async () => {
    databaseUrl = await freshDatabaseUrl();
    otlp = await startOtlpReceiver();
    key = (await seedOrgs(databaseUrl!, [ORG])).get(ORG)!;
    servers = await clusterServers(2, clusterEnv(databaseUrl, LEASE_MS, { AUDITUM_OTEL_RETRY_MAX_MS: '500' }));
    await Promise.all(servers.map(startClusterServer));
  });

  after(async () => {
    await removeCluster(servers);
    await otlp?.stop();
    await dropDatabase(databaseUrl);
  });

  it('the next holder resumes OTLP delivery and indexing from the durable cursor', async () => {
    const otel = await call(servers[0]!, 'PUT', '/v1/otel-export', { endpoint_url: otlp.url, enabled: true, max_batch_size: BATCH });
    assert.equal(otel.status, 200, JSON.stringify(otel.body));
    await send(servers[0]!, 0, 120);
    const lagOf = async (server: ClusterServer) => (await holderOf(server, 'otel')).status.lag[0];
    await waitFor('the first entries delivered', async () => (await lagOf(servers[0]!)).otel === 0, 30_000);
    const delivered = await durableCursor();
    assert.equal(delivered, (await lagOf(servers[0]!)).head_seq, 'the cursor is at the head');

    // The receiver holds the next request open: its sender is in the middle of a batch when it dies.
    let release: (reply: Reply) => void = () => {};
    let held: { firstSeq: number } | undefined;
    otlp.setResponder((request) => {
      if (held) return { status: 200 };
      held = { firstSeq: Number(request.records[0]!.attributes['audit.seq']) };
      return new Promise<Reply>((resolve) => (release = resolve));
    });
    await send(servers[1]!, 120, 80);
    await waitFor('a batch in flight', () => held, 30_000);
    assert.equal(held!.firstSeq, delivered + 1, 'the batch in flight starts after the cursor');
    const requestsBefore = otlp.requests.length;

    // Kill whichever server holds the OTLP lease now, while its request is unanswered.
    const { holder: inFlightHolder } = await holderOf(servers[0]!, 'otel');
    assert.ok(inFlightHolder, 'someone holds the OTLP lease');
    const ids = servers.map((s) => serverId(s.dataDir));
    const dying = servers[ids.indexOf(inFlightHolder!)]!;
    const living = servers.find((s) => s !== dying)!;
    assert.ok(dying, 'the holder is one of the servers');
    await stopClusterServer(dying);
    release({ status: 503 });
    assert.equal(await durableCursor(), delivered, 'the unanswered batch did not move the durable cursor');

    // The other server takes the lease over once it expires and resends from the cursor, in order.
    const takenOver = await waitFor('the lease taken over', async () => {
      const { holder: next } = await holderOf(living, 'otel');
      return next && next !== inFlightHolder ? next : undefined;
    }, 30_000);
    assert.equal(takenOver, ids[servers.indexOf(living)], 'the survivor holds the lease');
    await waitFor('delivery caught up', async () => (await lagOf(living)).otel === 0, 30_000);
    const resent = otlp.requests.slice(requestsBefore).filter((r) => r.records.length > 0);
    assert.ok(resent.length > 0, 'the new holder sent');
    assert.equal(Number(resent[0]!.records[0]!.attributes['audit.seq']), delivered + 1, 'it resumed at the durable cursor, not from the start');
    const seqs = otlp.acceptedRecords().map((r) => Number(r.attributes['audit.seq']));
    const head = (await lagOf(living)).head_seq;
    for (let seq = 1; seq <= head; seq++) assert.ok(seqs.includes(seq), `seq ${seq} delivered`);
    let highest = 0;
    for (const seq of seqs) {
      assert.ok(seq <= highest + 1, `seq ${seq} arrived after ${highest}: out of order`);
      highest = Math.max(highest, seq);
    }

    // Indexing moved too: entries sent after the kill are found by search on the survivor.
    await send(living, 200, 10);
    await waitFor('search caught up', async () => (await lagOf(living)).search === 0, 30_000);
    const found = await call(living, 'GET', '/v1/events?q=marker205');
    assert.equal(found.status, 200, JSON.stringify(found.body));
    assert.deepEqual(found.body.events.map((e: any) => e.id), ['e-205']);
  });
});

describe('a server stopped gracefully', { skip }, () => {
  let databaseUrl: string | undefined;
  let key = '';
  let servers: ClusterServer[] = [];
  // Far longer than the test waits: the work can only move because the leases were handed back.
  const LONG_LEASE_MS = 120_000;

  before(async () => {
    databaseUrl = await freshDatabaseUrl();
    key = (await seedOrgs(databaseUrl!, [ORG])).get(ORG)!;
    servers = await clusterServers(2, clusterEnv(databaseUrl, LONG_LEASE_MS));
    await Promise.all(servers.map(startClusterServer));
  });

  after(async () => {
    await removeCluster(servers);
    await dropDatabase(databaseUrl);
  });

  it('hands its leases back at once, so the other server takes the work without waiting for expiry', async () => {
    const leasesOf = async (server: ClusterServer) => {
      const res = await apiCall(server, key, 'GET', '/v1/cluster');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.servers.flatMap((s: any) => s.leases.map((l: any) => ({ holder: s.id as string, task: l.task as string })));
    };
    const first = await apiCall(servers[0]!, key, 'POST', '/v1/events', { id: 'before-stop', type: 'user.login', actor: { id: 'someone' } });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const held = await waitFor('the search lease taken', async () => (await leasesOf(servers[0]!)).find((l: any) => l.task === 'search'));
    const ids = servers.map((s) => serverId(s.dataDir));
    const holder = servers[ids.indexOf(held.holder)]!;
    const other = servers.find((s) => s !== holder)!;
    const stoppedAt = Date.now();
    await stopClusterServer(holder, 'SIGTERM');
    const moved = await waitFor('the search lease moved', async () => {
      const leases = await leasesOf(other);
      return leases.find((l: any) => l.task === 'search' && l.holder === ids[servers.indexOf(other)]);
    }, 30_000);
    assert.ok(moved);
    assert.ok(Date.now() - stoppedAt < LONG_LEASE_MS / 4, 'well before the lease would have expired');
    const res = await apiCall(other, key, 'POST', '/v1/events', { id: 'after-stop', type: 'user.login', actor: { id: 'handover77' } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await waitFor('indexed by the server that took over', async () => {
      const found = await apiCall(other, key, 'GET', '/v1/events?q=handover77');
      return found.body.events.length === 1;
    }, 30_000);
  });
});

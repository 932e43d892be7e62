import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiCall, clusterEnv, clusterServers, removeCluster, seedOrgs, startClusterServer, stopClusterServer, type ClusterServer } from '../helpers/cluster.ts';
import { startOtlpReceiver, waitFor, type OtlpReceiver } from '../helpers/otlp-receiver.ts';
import { runCliProcess } from '../helpers/process.ts';
import { dropDatabase, freshDatabaseUrl, rawQuery, TEST_DIALECT } from '../helpers/test-database.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';

const ORGS = ['north', 'south'];
/** Entries of this type fire the rule "any" with no cooldown: one alert each, exactly. */
const ALERTING_TYPE = 'secret.exported';
const LEASE_MS = 3000;

const skip = TEST_DIALECT === 'postgres' ? false : 'several servers share one PostgreSQL database (the PostgreSQL half of the run)';

describe('three servers on one PostgreSQL', { skip }, () => {
  let databaseUrl: string | undefined;
  let otlp: OtlpReceiver;
  let hooks: WebhookReceiver;
  let keys = new Map<string, string>();
  let servers: ClusterServer[] = [];

  const call = (server: ClusterServer, org: string, method: string, path: string, body?: unknown) =>
    apiCall(server, keys.get(org)!, method, path, body);

  before(async () => {
    databaseUrl = await freshDatabaseUrl();
    otlp = await startOtlpReceiver();
    hooks = await startWebhookReceiver();
    keys = await seedOrgs(databaseUrl!, ORGS);
    servers = await clusterServers(3, clusterEnv(databaseUrl, LEASE_MS, {
      AUDITUM_OTEL_RETRY_MAX_MS: '1000',
      AUDITUM_JOB_RETRY_BASE_MS: '100',
      AUDITUM_CHECKPOINT_INTERVAL_SECONDS: '1',
    }));
    await Promise.all(servers.map(startClusterServer));
  });

  after(async () => {
    await removeCluster(servers);
    await otlp?.stop();
    await hooks?.stop();
    await dropDatabase(databaseUrl);
  });

  it('loses nothing when one of them is killed: chains, OTLP order, alerts once, exports, checkpoints', async () => {
    for (const org of ORGS) {
      const otel = await call(servers[0]!, org, 'PUT', '/v1/otel-export', { endpoint_url: otlp.url, enabled: true, max_batch_size: 50 });
      assert.equal(otel.status, 200, JSON.stringify(otel.body));
      const hook = await call(servers[1]!, org, 'PUT', '/v1/alert-webhook', { url: `${hooks.url}/${org}`, enabled: true });
      assert.equal(hook.status, 200, JSON.stringify(hook.body));
      const rule = { name: 'exports', filter: { type: ALERTING_TYPE }, condition: { type: 'any' }, cooldown_minutes: 0 };
      const created = await call(servers[2]!, org, 'POST', '/v1/alert-rules', rule);
      assert.equal(created.status, 201, JSON.stringify(created.body));
    }

    // Load: batches round-robin over the live servers; one server is killed midway and restarted later.
    const acknowledged = new Map<string, Set<string>>(ORGS.map((org) => [org, new Set()]));
    const alerting = new Map<string, number>(ORGS.map((org) => [org, 0]));
    let exportId: string | undefined;
    const victim = servers[1]!;
    for (let batch = 0; batch < 60; batch++) {
      if (batch === 20) {
        // An export queued on the server about to die, of entries already there.
        const queued = await call(victim, 'north', 'POST', '/v1/exports', { name: 'before the kill', format: 'jsonl' });
        assert.equal(queued.status, 202, JSON.stringify(queued.body));
        exportId = queued.body.id;
        await stopClusterServer(victim);
      }
      if (batch === 45) await startClusterServer(victim);
      const live = servers.filter((s) => s.child);
      const server = live[batch % live.length]!;
      const org = ORGS[batch % ORGS.length]!;
      const events = Array.from({ length: 40 }, (_, k) => ({
        id: `${org}-${batch}-${k}`,
        type: k === 7 ? ALERTING_TYPE : 'user.login',
        actor: { id: `user-${k}` },
        metadata: { batch, k },
      }));
      const res = await call(server, org, 'POST', '/v1/events', { events });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      for (const e of events) acknowledged.get(org)!.add(e.id);
      alerting.set(org, alerting.get(org)! + 1);
    }

    const heads = new Map<string, number>();
    for (const org of ORGS) {
      const status = await call(servers[0]!, org, 'GET', '/v1/cluster');
      assert.equal(status.status, 200, JSON.stringify(status.body));
      heads.set(org, status.body.lag[0].head_seq);
      // Every acknowledged event is stored, once.
      const stored = await rawQuery(
        { dataDir: servers[0]!.dataDir, databaseUrl },
        "SELECT e.id FROM events e JOIN orgs o ON o.id = e.org_id WHERE o.slug = ? AND e.type <> 'alert.triggered'",
        [org],
      );
      const ids = new Set(stored.map((row: any) => row.id).filter((id: string) => id.startsWith(`${org}-`)));
      assert.equal(ids.size, acknowledged.get(org)!.size, `${org}: every acknowledged event is stored`);
    }

    // Every organization's chain verifies.
    for (const org of ORGS) {
      const verified = await runCliProcess(['verify', '--org', org], servers[0]!.env, 60_000);
      assert.equal(verified.code, 0, `${org}: ${verified.stdout}${verified.stderr}`);
    }

    // OTLP: every entry reached the receiver at least once and, per organization, in seq order.
    await waitFor('OTLP delivery of every entry', async () => {
      for (const org of ORGS) {
        const status = await call(servers[0]!, org, 'GET', '/v1/cluster');
        if (status.body.lag[0].otel !== 0) return false;
      }
      return true;
    }, 60_000);
    for (const org of ORGS) {
      const seqs = otlp.acceptedRecords().filter((r) => r.resource['auditum.org.slug'] === org).map((r) => Number(r.attributes['audit.seq']));
      assert.ok(seqs.length > 0, `${org}: records arrived`);
      const distinct = new Set(seqs);
      for (let seq = 1; seq <= heads.get(org)!; seq++) assert.ok(distinct.has(seq), `${org}: seq ${seq} delivered`);
      // In order: a resend after a takeover may repeat a stretch, but never goes forward past a gap.
      let highest = 0;
      for (const seq of seqs) {
        assert.ok(seq <= highest + 1, `${org}: seq ${seq} arrived after ${highest}, not in order`);
        highest = Math.max(highest, seq);
      }
    }

    // Alerts: one per alerting entry, none twice, none missed; each reached the webhook.
    for (const org of ORGS) {
      const fired = await waitFor(`${org}: every alert`, async () => {
        const res = await call(servers[0]!, org, 'GET', '/v1/alerts?limit=200');
        return res.body.alerts.length >= alerting.get(org)! ? res.body.alerts : undefined;
      }, 60_000);
      assert.equal(fired.length, alerting.get(org), `${org}: exactly one alert per alerting entry`);
      const triggers = new Set(fired.map((a: any) => a.last_entry_id));
      assert.equal(triggers.size, fired.length, `${org}: no entry alerted twice`);
      await waitFor(`${org}: every alert at the webhook`, () => {
        const delivered = new Set(hooks.received.filter((h) => h.body?.org?.slug === org).map((h) => h.body.id));
        return fired.every((a: any) => delivered.has(a.id));
      }, 60_000);
    }

    // The export queued on the killed server completed on another, with every row.
    const done = await waitFor('the export', async () => {
      const res = await call(servers[0]!, 'north', 'GET', `/v1/exports/${exportId}`);
      return res.body.status === 'completed' ? res.body : res.body.status === 'failed' ? assert.fail(JSON.stringify(res.body)) : undefined;
    }, 60_000);
    assert.equal(done.rows_written, done.through_seq, 'the export holds every entry up to its seq');
    assert.ok(done.through_seq >= (20 * 40) / 2, `the export covers what was there when queued (${done.through_seq})`);

    // Checkpoints: never two roots for one tree size.
    const roots = await rawQuery({ dataDir: servers[0]!.dataDir, databaseUrl }, 'SELECT org_id, tree_size, count(DISTINCT root_hash) AS n FROM checkpoints GROUP BY org_id, tree_size', []);
    assert.ok(roots.length > 0, 'checkpoints were signed');
    assert.ok(roots.every((row: any) => Number(row.n) === 1), 'one root per tree size');
  });
});

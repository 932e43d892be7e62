import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuditumError, createClient, type AuditumClient, type Entry, type ExportView } from '@auditum/client';
import { startHttpProxy, type HttpProxy } from '../helpers/http-proxy.ts';
import { waitFor } from '../helpers/otlp-receiver.ts';
import { startTestApp, type TestApp, type TestOrg } from '../helpers/test-app.ts';

const RESULTS = ['success', 'failed', 'denied'] as const;

/** Reading through the SDK: pages of GET /v1/events, one entry, the live stream, exports. */
describe('@auditum/client: reading', () => {
  let t: TestApp;
  let org: TestOrg;
  let proxy: HttpProxy;
  let client: AuditumClient;
  before(async () => {
    t = await startTestApp({ streamKeepAliveMs: 200 });
    org = await t.createOrg('reader');
    proxy = await startHttpProxy(t.url);
    client = createClient({ url: proxy.url, apiKey: org.key, exitWarning: false });
    for (let i = 0; i < 12; i++) {
      const type = i % 2 ? 'user.login' : 'flow.created';
      void client.record({ type, actor: { id: `u${i}` }, result: RESULTS[i % 3], action: `e${i}` });
    }
    await client.flush();
  });
  after(async () => {
    await client.close();
    await proxy.close();
    await t.close();
  });

  const requestsTo = (path: string) => proxy.requests.filter((r) => r.path.startsWith(path));
  const all = async (iterable: AsyncIterable<Entry>) => {
    const out: Entry[] = [];
    for await (const entry of iterable) out.push(entry);
    return out;
  };

  it('events.list() walks every cursor page, newest first, with the filters', async () => {
    const before = requestsTo('/v1/events?').length;
    const entries = await all(client.events.list({ pageSize: 5 }));
    assert.deepEqual(entries.map((e) => e.action), Array.from({ length: 12 }, (_, i) => `e${11 - i}`));
    assert.equal(requestsTo('/v1/events?').length - before, 3, 'three pages of 5');
    const failedLogins = await all(client.events.list({ type: 'user.*', result: ['failed', 'denied'] }));
    assert.deepEqual(failedLogins.map((e) => e.action), ['e11', 'e7', 'e5', 'e1']);
  });

  it('events.get() returns the entry with every field, undefined for an unknown id', async () => {
    const [newest] = await all(client.events.list({ pageSize: 1, actor: 'u3' }));
    const entry = await client.events.get(newest!.id);
    assert.deepEqual(entry, newest);
    assert.equal(await client.events.get('no-such-entry'), undefined);
  });

  it('stream() yields new entries, resumed with Last-Event-ID after a cut: no gap, no duplicate', async () => {
    const stream = client.stream({ type: 'user.*' });
    const got: Entry[] = [];
    const reading = (async () => {
      for await (const entry of stream) got.push(entry);
    })();
    // Once the server has said where the stream starts, entries committed from then on are on it.
    await waitFor('the stream open', () => stream.lastSeq !== undefined);
    const direct = (action: string) =>
      t.request('POST', '/v1/events', { key: org.key, body: { type: 'user.logout', actor: { id: 's' }, action } });
    await direct('live 1');
    await client.recordNow({ type: 'flow.deleted', actor: { id: 's' }, action: 'not a user.* type' });
    await waitFor('the first entry', () => got.length === 1);
    proxy.cutAll();
    // Written while the stream is down: they must arrive after the reconnection.
    await direct('missed 1');
    await direct('missed 2');
    await waitFor('the reconnection', () => requestsTo('/v1/events/stream').length === 2, 15_000);
    await direct('live 2');
    await waitFor('every entry', () => got.length === 4, 15_000);
    stream.close();
    await reading;
    assert.deepEqual(got.map((e) => e.action), ['live 1', 'missed 1', 'missed 2', 'live 2']);
    assert.equal(requestsTo('/v1/events/stream')[1]!.headers['last-event-id'], String(got[0]!.seq));
    assert.equal(stream.lastSeq, got[3]!.seq);
  });

  it('stream({}, { afterSeq: 0 }) sends the chain from its start, in seq order; a refusal ends it', async () => {
    const stream = client.stream({}, { afterSeq: 0 });
    const seqs: number[] = [];
    for await (const entry of stream) {
      seqs.push(entry.seq);
      if (seqs.length === 12) break;
    }
    assert.deepEqual(seqs, Array.from({ length: 12 }, (_, i) => i + 1));
    const writer = await t.createOrg('writer-only', ['events:write']);
    const refused = createClient({ url: t.url, apiKey: writer.key, exitWarning: false });
    const error = await all(refused.stream()).then(() => null, (e: unknown) => e);
    assert.ok(error instanceof AuditumError);
    assert.deepEqual([error.status, error.code], [403, 'forbidden']);
    await refused.close();
  });

  it('exports.create() queues an export; wait() reports progress; entries() and download() read the file', async () => {
    const handle = await client.exports.create({ format: 'jsonl', result: 'failed' });
    assert.ok(['queued', 'running', 'completed'].includes(handle.view.status));
    const polled: ExportView[] = [];
    const done = await handle.wait({ intervalMs: 50, timeoutMs: 30_000, onProgress: (view) => polled.push(view) });
    assert.equal(done.status, 'completed');
    assert.equal(polled.at(-1)!.progress, 1);
    const failed = (await all(client.events.list({ result: 'failed' }))).reverse();
    assert.deepEqual(await all(handle.entries()), failed, 'every failed entry, in chain order, as GET returns them');

    const csv = await client.exports.create({ format: 'csv', name: 'Logins', type: 'user.login' });
    await csv.wait({ intervalMs: 50 });
    const bytes = Buffer.from(await new Response(await csv.download()).arrayBuffer());
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'the bytes as sent, BOM included');
    const text = bytes.toString('utf8');
    assert.match(text, /^\uFEFFtimestamp,event_type,/);
    assert.equal(text.trim().split('\r\n').length, 1 + 6, 'a header and the six user.login entries');
    await csv.cancel();
    const gone = await csv.refresh().then(() => null, (e: AuditumError) => e);
    assert.equal(gone?.status, 404);
  });
});

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { createClient, type AuditumClient, type AuditumError, type ClientOptions } from '@auditum/client';
import { eventsOf, ingestRequests, startHttpProxy, type HttpProxy } from '../helpers/http-proxy.ts';
import { waitFor } from '../helpers/otlp-receiver.ts';
import { storedIds, UUID_V7, watchClient } from '../helpers/sdk.ts';
import { startTestApp, type TestApp, type TestOrg } from '../helpers/test-app.ts';

const codesAndActions = (errors: AuditumError[]) => errors.map((e) => [e.code, e.events![0]!.action]);
const event = (action: string) => ({ type: 'user.login', actor: { id: 'u_1', email: 'ada@example.com' }, action });

/** record(), recordNow(), batching and the bounded queue, through a proxy that watches the requests. */
describe('@auditum/client: recording', () => {
  let t: TestApp;
  let proxy: HttpProxy;
  let org: TestOrg;
  const clients: AuditumClient[] = [];
  const client = (options: Partial<ClientOptions> = {}) => {
    const made = createClient({ url: proxy.url, apiKey: org.key, exitWarning: false, ...options } as ClientOptions);
    clients.push(made);
    return made;
  };

  before(async () => {
    t = await startTestApp();
  });
  let orgs = 0;
  const fresh = async () => {
    org = await t.createOrg(`record-${++orgs}`);
    proxy = await startHttpProxy(t.url);
  };
  afterEach(async () => {
    proxy.release();
    for (const c of clients.splice(0)) await c.close();
    await proxy.close();
  });
  after(() => t.close());

  it('several record() calls arrive in one request, with UUIDv7 ids, stored in the order recorded', async () => {
    await fresh();
    const c = client({ maxWaitMs: 50 });
    for (let i = 0; i < 5; i++) void c.record(event(`a${i}`));
    await waitFor('the batch acknowledged', () => c.stats().sent === 5);
    const posts = ingestRequests(proxy);
    assert.equal(posts.length, 1, 'one request');
    const sent = eventsOf(posts[0]!);
    assert.deepEqual(sent.map((e) => e.action), ['a0', 'a1', 'a2', 'a3', 'a4']);
    for (const e of sent) assert.match(e.id, UUID_V7);
    assert.deepEqual(await storedIds(t.config, org.id), sent.map((e) => e.id));
  });

  it('batches are at most maxBatchSize events; flush() sends them without waiting', async () => {
    await fresh();
    const c = client({ maxBatchSize: 2, maxWaitMs: 60_000 });
    for (let i = 0; i < 5; i++) void c.record(event(`b${i}`));
    await c.flush();
    assert.deepEqual(ingestRequests(proxy).map((r) => eventsOf(r).length), [2, 2, 1]);
    assert.equal((await storedIds(t.config, org.id)).length, 5);
  });

  it('recordNow() sends at once and resolves with the acknowledgement; an id given is kept', async () => {
    await fresh();
    const c = client({ maxWaitMs: 60_000 });
    const ack = await c.recordNow({ ...event('now'), id: 'order-7' });
    assert.deepEqual({ id: ack.id, seq: ack.seq }, { id: 'order-7', seq: 1 });
    assert.equal((await c.events.get('order-7'))!.hash, ack.hash);
  });

  it('an answer lost after the commit: the retry (same ids) is a duplicate, nothing stored twice', async () => {
    await fresh();
    const c = client({ retry: { baseDelayMs: 10 } });
    const seen = watchClient(c);
    proxy.loseNextAnswer((r) => r.path === '/v1/events');
    const ack = await c.recordNow(event('lost answer'));
    assert.equal(ack.duplicate, true, 'the second try found the first one stored');
    const posts = ingestRequests(proxy);
    assert.equal(posts.length, 2);
    assert.deepEqual(eventsOf(posts[1]!).map((e) => e.id), eventsOf(posts[0]!).map((e) => e.id));
    assert.equal(seen.retries[0]!.error.code, 'network_error');
    assert.deepEqual(await storedIds(t.config, org.id), [ack.id]);
  });

  it("a refused event: reported with the server's code and message, not retried; the rest is stored", async () => {
    await fresh();
    const c = client({ maxWaitMs: 60_000 });
    const seen = watchClient(c);
    void c.record(event('good 1'));
    void c.record({ type: 'nodot', actor: { id: 'u_1' } });
    void c.record(event('good 2'));
    await c.flush();
    await waitFor('the error event', () => seen.errors.length === 1);
    const [error] = seen.errors;
    assert.deepEqual([error!.status, error!.code], [400, 'invalid_request']);
    assert.match(error!.message, /type must contain at least one dot/);
    assert.deepEqual(error!.events!.map((e) => e.type), ['nodot']);
    const posts = ingestRequests(proxy);
    assert.deepEqual(posts.map((r) => eventsOf(r).length), [3, 2], 'refused once, then the two valid events alone');
    assert.equal(seen.retries.length, 0);
    assert.equal((await storedIds(t.config, org.id)).length, 2);
  });

  it('a wrong API key (401) is reported once, not retried; recordNow() rejects with the code', async () => {
    await fresh();
    const c = client({ apiKey: 'adt_not_a_key' });
    const error = await c.recordNow(event('no key')).then(() => null, (e) => e);
    assert.deepEqual([error.status, error.code, error.retryable], [401, 'unauthorized', false]);
    assert.equal(ingestRequests(proxy).length, 1);
  });

  it("whenFull 'drop': past maxQueueSize an event is dropped with an error event; the others are sent", async () => {
    await fresh();
    const c = client({ maxQueueSize: 3, whenFull: 'drop', maxWaitMs: 0 });
    const seen = watchClient(c);
    proxy.hold();
    const queued = await Promise.all(Array.from({ length: 5 }, (_, i) => c.record(event(`d${i}`))));
    assert.deepEqual(queued, [true, true, true, false, false]);
    await waitFor('two drops reported', () => seen.errors.length === 2);
    assert.deepEqual(codesAndActions(seen.errors), [['queue_full', 'd3'], ['queue_full', 'd4']]);
    proxy.release();
    await c.flush();
    assert.equal((await storedIds(t.config, org.id)).length, 3);
    assert.deepEqual(c.stats(), { queued: 0, waiting: 0, bytes: 0, sent: 3, dropped: 2, failed: 0 });
  });

  it("whenFull 'drop' counts bytes too (maxQueueBytes)", async () => {
    await fresh();
    const big = (i: number) => ({ ...event(`big${i}`), metadata: { pad: 'x'.repeat(1000) } });
    const c = client({ maxQueueBytes: 2500, whenFull: 'drop', maxWaitMs: 0 });
    watchClient(c);
    proxy.hold();
    const queued = await Promise.all([0, 1, 2].map((i) => c.record(big(i))));
    assert.deepEqual(queued, [true, true, false], 'two events of ~1.1 kB fit in 2,500 bytes, a third does not');
    proxy.release();
    await c.flush();
    assert.equal((await storedIds(t.config, org.id)).length, 2);
  });

  it("whenFull 'wait': record() resolves once there is room, and every event is stored in order", async () => {
    await fresh();
    const c = client({ maxQueueSize: 2, maxBatchSize: 2, whenFull: 'wait', maxWaitMs: 0 });
    proxy.hold();
    const settled: string[] = [];
    const record = (i: number) => c.record(event(`w${i}`)).then((queued) => settled.push(`w${i}:${queued}`));
    const calls = [0, 1, 2, 3].map(record);
    await waitFor('the first two queued', () => settled.length === 2);
    assert.deepEqual(settled, ['w0:true', 'w1:true']);
    assert.equal(c.stats().waiting, 2, 'two callers wait for room');
    proxy.release();
    await Promise.all(calls);
    await c.flush();
    const stored = await Promise.all((await storedIds(t.config, org.id)).map((id) => c.events.get(id)));
    assert.deepEqual(stored.map((e) => e!.action), ['w0', 'w1', 'w2', 'w3']);
  });

  it('close() refuses new events, and after closeTimeoutMs reports what is left as unsent', async () => {
    await fresh();
    const c = client({ closeTimeoutMs: 200 });
    const seen = watchClient(c);
    proxy.hold();
    void c.record(event('never answered'));
    await c.close();
    assert.equal(await c.record(event('after close')), false);
    await waitFor('both reported', () => seen.errors.length === 2);
    assert.deepEqual(codesAndActions(seen.errors), [['unsent', 'never answered'], ['closed', 'after close']]);
  });
});

describe('@auditum/client: a batch larger than the server takes', () => {
  it('is sent again in halves after a 413, until each fits; every event stored once, in order', async () => {
    const t = await startTestApp({ bodyLimit: 4096 });
    const proxy = await startHttpProxy(t.url);
    const c = createClient({ url: proxy.url, apiKey: t.org.key, exitWarning: false, maxWaitMs: 60_000 });
    try {
      for (let i = 0; i < 10; i++) void c.record({ ...event(`h${i}`), metadata: { pad: 'x'.repeat(500) } });
      await c.flush();
      // About 5.5 kB in one request, 2.7 kB in each half.
      const tries = ingestRequests(proxy).map((r) => [r.status, eventsOf(r).length]);
      assert.deepEqual(tries, [[413, 10], [201, 5], [201, 5]]);
      const stored = await Promise.all((await storedIds(t.config, t.org.id)).map((id) => c.events.get(id)));
      assert.deepEqual(stored.map((e) => e!.action), Array.from({ length: 10 }, (_, i) => `h${i}`));
    } finally {
      await c.close();
      await proxy.close();
      await t.close();
    }
  });
});

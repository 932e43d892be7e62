import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { startApp, type RunningApp } from '../../src/main.ts';
import { openStream, type StreamClient } from '../helpers/event-stream.ts';
import { waitFor } from '../helpers/otlp-receiver.ts';
import { sampleEvent, startTestApp, type Session, type TestApp, type TestOrg } from '../helpers/test-app.ts';

describe('GET /v1/events/stream', () => {
  let t: TestApp;
  let app: RunningApp;
  let other: TestOrg;
  let member: Session;
  const streams: StreamClient[] = [];

  const open = async (query = '', headers: Record<string, string> = {}, key = t.org.key) => {
    const client = await openStream(`${app.url}/v1/events/stream${query}`, { authorization: `Bearer ${key}`, ...headers });
    streams.push(client);
    return client;
  };
  const ingest = async (events: Array<Record<string, unknown>>, key = t.org.key) => {
    const res = await fetch(`${app.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events }),
    });
    assert.equal(res.status, 201, await res.text());
  };
  const actions = (client: StreamClient) => client.events.map((e) => JSON.parse(e.data).action);

  before(async () => {
    t = await startTestApp({ streamMaxPerOrg: 3, streamKeepAliveMs: 200 });
    app = t.app;
    other = await t.createOrg('globex');
    await t.createUser(t.org.id, 'member@acme.test', 'member');
    member = await t.quietSession('member@acme.test');
  });
  afterEach(async () => {
    // Each test starts with none open (the per-organization limit counts them).
    for (const s of streams.splice(0)) s.close();
  });
  after(() => app.close());

  it('sends each new matching entry with its seq as id, only this organization\'s, and keeps the line alive', async () => {
    await ingest([sampleEvent({ action: 'before the stream' })]);
    const all = await open();
    const failed = await open('?result=failed&q=invoice');
    assert.equal(all.status, 200);
    assert.match(all.headers.get('content-type')!, /^text\/event-stream/);
    await ingest([sampleEvent({ action: 'globex only' })], other.key);
    await ingest([
      sampleEvent({ action: 'paid invoice 7', result: 'success' }),
      sampleEvent({ action: 'invoice 8 declined', result: 'failed' }),
    ]);
    await waitFor('both entries on the stream', () => all.events.length >= 2);
    await waitFor('the failed invoice', () => failed.events.length >= 1);
    assert.deepEqual(actions(all), ['paid invoice 7', 'invoice 8 declined'], 'no earlier entry and no other organization\'s');
    assert.deepEqual(actions(failed), ['invoice 8 declined']);
    for (const event of all.events) assert.equal(event.id, String(JSON.parse(event.data).seq));
    const stored = await t.app.services.store.get(t.org.id, JSON.parse(all.events[1]!.data).id);
    assert.deepEqual(JSON.parse(all.events[1]!.data), stored, 'the entry as GET /v1/events/{id} has it');
    await waitFor('a keep-alive comment', () => all.comments.includes('keep-alive'));
    all.close();
    failed.close();
  });

  it('resumes after Last-Event-ID or after_seq without a gap or a duplicate', async () => {
    const first = await open();
    await ingest([sampleEvent({ action: 'r1' }), sampleEvent({ action: 'r2' })]);
    await waitFor('r1 and r2', () => first.events.length >= 2);
    first.close();
    const lastId = first.events[0]!.id!;
    await ingest([sampleEvent({ action: 'r3' })]);
    const resumed = await open('', { 'last-event-id': lastId });
    await waitFor('r2 and r3', () => resumed.events.length >= 2);
    assert.deepEqual(actions(resumed), ['r2', 'r3']);
    const byQuery = await open(`?after_seq=${lastId}&q=r`);
    await waitFor('r2 and r3 again', () => byQuery.events.length >= 2);
    assert.deepEqual(actions(byQuery).slice(0, 2), ['r2', 'r3']);
    resumed.close();
    byQuery.close();
  });

  it('resumes after a server restart: the stream ends, and reconnecting with its last id misses nothing', async () => {
    const before = await open();
    await ingest([sampleEvent({ action: 'a1' })]);
    await waitFor('a1', () => before.events.length >= 1);
    await app.close();
    await before.ended;
    app = await startApp(loadConfig({}, { ...t.config, port: 0 }), createLogger('silent'));
    await ingest([sampleEvent({ action: 'a2' }), sampleEvent({ action: 'a3' })]);
    const after = await open('', { 'last-event-id': before.events.at(-1)!.id! });
    await ingest([sampleEvent({ action: 'a4' })]);
    await waitFor('a2 to a4', () => after.events.length >= 3);
    assert.deepEqual([...actions(before), ...actions(after)], ['a1', 'a2', 'a3', 'a4']);
    after.close();
  });

  it('refuses members, bad parameters and more streams than allowed per organization', async () => {
    const refused = await openStream(`${app.url}/v1/events/stream`, { cookie: member.cookie });
    assert.equal(refused.status, 403);
    assert.equal((await openStream(`${app.url}/v1/events/stream`)).status, 401);
    const badId = await open('', { 'last-event-id': 'abc' });
    assert.equal(badId.status, 400);
    assert.match(badId.error.error.message, /Last-Event-ID/);
    const badFilter = await open('?result=maybe');
    assert.equal(badFilter.status, 400);
    assert.match(JSON.stringify(badFilter.error), /result/);
    // A fresh organization: no stream of the earlier tests is still being closed on its count.
    const org = await app.services.orgs.create('initech');
    const initech = { key: (await app.services.apiKeys.create(org.id, { name: 'test', scopes: ['events:read'] })).key };
    const held = [await open('', {}, initech.key), await open('', {}, initech.key), await open('', {}, initech.key)];
    assert.deepEqual(held.map((s) => s.status), [200, 200, 200]);
    const fourth = await open('', {}, initech.key);
    assert.equal(fourth.status, 429);
    assert.equal(fourth.error.error.code, 'too_many_streams');
    assert.ok(Number(fourth.headers.get('retry-after')) > 0);
    assert.equal((await open('', {}, other.key)).status, 200, 'another organization has its own allowance');
    held[0]!.close();
    await waitFor('a slot frees when a stream closes', async () => {
      const again = await open('', {}, initech.key);
      return again.status === 200 ? again : undefined;
    });
  });
});

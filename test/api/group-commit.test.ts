import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OverloadedError } from '../../src/errors.ts';
import { eventInputSchema } from '../../src/events/event.schemas.ts';
import { waitFor } from '../helpers/otlp-receiver.ts';
import { sampleEvent, startTestApp, type TestApp } from '../helpers/test-app.ts';
import { failEntriesOfType, openRawSql, rawQuery, TEST_DIALECT } from '../helpers/test-database.ts';

const count = async (t: TestApp, orgId: string, where = '1 = 1', params: unknown[] = []) =>
  Number((await rawQuery<{ n: unknown }>(t.config, `SELECT count(*) AS n FROM events WHERE org_id = ? AND ${where}`, [orgId, ...params]))[0]!.n);

describe('group commit', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ ingestQueueMaxEvents: 1000 });
  });
  after(() => t.close());

  it('requests that arrive together are committed together, each answered with its own entries', async () => {
    const org = await t.createOrg('together');
    const before = t.app.services.ingest.stats();
    const calls = Array.from({ length: 64 }, (_, i) => t.app.services.ingest.append(org.id, [eventInputSchema.parse(sampleEvent({ action: `t${i}` }))]));
    const results = await Promise.all(calls);
    const after = t.app.services.ingest.stats();
    assert.deepEqual({ groups: after.groups - before.groups, requests: after.requests - before.requests }, { groups: 1, requests: 64 });
    assert.deepEqual(results.map((r) => r[0]!.seq), Array.from({ length: 64 }, (_, i) => i + 1), 'in arrival order, one seq each');
    assert.equal(await count(t, org.id), 64);
  });

  it('two organizations in one group, in the same millisecond, each get their own keys and chain', async () => {
    const [a, b] = [await t.createOrg('same-ms-a'), await t.createOrg('same-ms-b')];
    const occurred_at = new Date(Date.now() - 1000).toISOString();
    const batch = () => Array.from({ length: 50 }, () => eventInputSchema.parse(sampleEvent({ occurred_at })));
    const before = t.app.services.ingest.stats().groups;
    const [ra, rb] = await Promise.all([t.app.services.ingest.append(a.id, batch()), t.app.services.ingest.append(b.id, batch())]);
    assert.equal(t.app.services.ingest.stats().groups - before, 1, 'one group');
    assert.deepEqual([ra.length, rb.length], [50, 50]);
    for (const org of [a, b]) {
      assert.equal(await count(t, org.id, 'occurred_at = ?', [Date.parse(occurred_at)]), 50);
      assert.equal((await t.request('GET', '/v1/integrity/verify', { key: org.key })).body.ok, true);
    }
  });

  it('concurrent single-event requests over HTTP: each acknowledged with its own seq, the chain intact', async () => {
    const org = await t.createOrg('singles');
    const results = await Promise.all(
      Array.from({ length: 64 }, (_, i) => t.request('POST', '/v1/events', { key: org.key, body: sampleEvent({ id: `single-${i}`, action: `a${i}` }) })),
    );
    for (const res of results) assert.equal(res.status, 201, JSON.stringify(res.body));
    const seqs = results.map((res) => res.body.events[0].seq as number).sort((a, b) => a - b);
    assert.deepEqual(seqs, Array.from({ length: 64 }, (_, i) => i + 1), 'one seq each, no gap');
    assert.equal(await count(t, org.id), 64);
    assert.equal((await t.request('GET', '/v1/integrity/verify', { key: org.key })).body.ok, true);

    // A retry of an acknowledged request is a duplicate, whichever group it lands in.
    const retry = await t.request('POST', '/v1/events', { key: org.key, body: sampleEvent({ id: 'single-5' }) });
    assert.equal(retry.status, 201);
    assert.equal(retry.body.events[0].duplicate, true);
    assert.equal(retry.body.events[0].seq, results[5]!.body.events[0].seq);
  });

  it('a request that fails in a group fails alone; the others commit', async () => {
    const org = await t.createOrg('mixed');
    const restore = await failEntriesOfType(t.config, 'poison.pill');
    let results;
    try {
      results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          t.request('POST', '/v1/events', {
            key: org.key,
            body: { events: [sampleEvent({ id: `m-${i}-a` }), sampleEvent({ id: `m-${i}-b`, type: i % 10 === 3 ? 'poison.pill' : 'user.login' })] },
          }),
        ),
      );
    } finally {
      await restore();
    }
    const failed = results.filter((_, i) => i % 10 === 3);
    const passed = results.filter((_, i) => i % 10 !== 3);
    for (const res of failed) assert.ok(res.status >= 500, `the poisoned request failed (${res.status})`);
    for (const res of passed) assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(await count(t, org.id), passed.length * 2, 'every event of the others, none of the poisoned requests');
    assert.equal(await count(t, org.id, "id LIKE 'm-3-%'"), 0, 'not even the good half of a poisoned request');
    assert.equal((await t.request('GET', '/v1/integrity/verify', { key: org.key })).body.ok, true);
  });

  it('past the queue bound new requests are refused with 503 and nothing of them is written', async () => {
    const org = await t.createOrg('flood');
    const batch = (i: number) => Array.from({ length: 100 }, (_, k) => sampleEvent({ id: `f-${i}-${k}` }));
    // Queued in one turn, before the first group is taken: 10 x 100 fit the bound of 1,000, the rest do not.
    const calls = Array.from({ length: 15 }, (_, i) => t.app.services.ingest.append(org.id, batch(i).map((e) => eventInputSchema.parse(e))));
    const settled = await Promise.allSettled(calls);
    const refused = settled.filter((s) => s.status === 'rejected');
    assert.equal(settled.filter((s) => s.status === 'fulfilled').length, 10);
    assert.equal(refused.length, 5);
    for (const r of refused) assert.ok((r as PromiseRejectedResult).reason instanceof OverloadedError);
    assert.equal(await count(t, org.id), 1000);
    assert.equal(t.app.services.ingest.waiting(), 0, 'nothing left waiting');
  });

  it('over HTTP, a full queue answers 503 overloaded with Retry-After (PostgreSQL: the commit is held by a lock)', { skip: TEST_DIALECT !== 'postgres' && 'on SQLite a held lock stops the whole process, requests included' }, async () => {
    const org = await t.createOrg('held');
    assert.equal((await t.request('POST', '/v1/events', { key: org.key, body: sampleEvent() })).status, 201);
    const raw = await openRawSql(t.config);
    await raw.run('BEGIN');
    await raw.run('SELECT * FROM chain_heads WHERE org_id = ? FOR UPDATE', [org.id]);
    const body = (i: number) => ({ events: Array.from({ length: 100 }, (_, k) => sampleEvent({ id: `h-${i}-${k}` })) });
    const first = t.request('POST', '/v1/events', { key: org.key, body: sampleEvent({ id: 'h-first' }) });
    await waitFor('the first request held', () => t.app.services.ingest.waiting() === 1);
    const rest = Array.from({ length: 12 }, (_, i) => t.request('POST', '/v1/events', { key: org.key, body: body(i) }));
    await waitFor('the queue filled', () => t.app.services.ingest.waiting() >= 901);
    const refused = await Promise.race([Promise.all(rest.slice(9)), new Promise((r) => setTimeout(r, 10_000, 'timeout'))]);
    await raw.run('COMMIT');
    await raw.close();
    assert.notEqual(refused, 'timeout', 'the requests past the bound were answered at once');
    for (const res of refused as Array<Awaited<(typeof rest)[number]>>) {
      assert.equal(res.status, 503);
      assert.equal(res.body.error.code, 'overloaded');
      assert.ok(Number(res.headers.get('retry-after')) >= 1, 'Retry-After');
    }
    for (const res of await Promise.all([first, ...rest.slice(0, 9)])) assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(await count(t, org.id), 1 + 1 + 900);
  });
});

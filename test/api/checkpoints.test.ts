import assert from 'node:assert/strict';
import { createPublicKey, verify as verifySignature } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sampleEvent, startTestApp, type TestApp } from '../helpers/test-app.ts';
import { rawQuery } from '../helpers/test-database.ts';
import { leaf, mth, verifyConsistency, verifyInclusion } from '../helpers/rfc6962.ts';

const b64 = (s: string) => Buffer.from(s, 'base64');

describe('Merkle checkpoints and proofs', () => {
  let t: TestApp;
  let admin: string;
  let ids: string[];
  let hashes: string[];
  before(async () => {
    t = await startTestApp();
    admin = (await t.app.services.apiKeys.create(t.org.id, { name: 'admin', scopes: ['admin'] })).key;
    ids = [];
    hashes = [];
    // Odd sizes exercise the unbalanced right edge of the tree.
    for (const n of [5, 8, 1, 7]) {
      const res = await t.request('POST', '/v1/events', { body: { events: Array.from({ length: n }, (_, i) => sampleEvent({ action: `a${i}` })) } });
      assert.equal(res.status, 201);
      for (const e of res.body.events) (ids.push(e.id), hashes.push(e.hash));
    }
  });
  after(() => t.close());

  it('signs a C2SP checkpoint whose root matches an independent computation', async () => {
    const created = await t.request('POST', '/v1/integrity/checkpoints', { key: admin });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.tree_size, 21);
    const note: string = created.body.note;
    const [body, sigLine] = note.split('\n\n') as [string, string];
    assert.deepEqual(body.split('\n'), ['auditum/acme', '21', mth(hashes.map(leaf)).toString('base64')]);
    const match = /^\u2014 auditum ([A-Za-z0-9+/=]+)\n$/.exec(sigLine);
    assert.ok(match, sigLine);
    const blob = b64(match[1]!);
    const keys = (await t.request('GET', '/v1/integrity/keys')).body.keys;
    const key = keys.find((k: { key_id: string }) => k.key_id === blob.subarray(0, 4).toString('hex'));
    assert.ok(key, 'the signing key is listed');
    assert.ok(verifySignature(null, Buffer.from(`${body}\n`), createPublicKey(key.public_key_pem), blob.subarray(4)));

    const list = await t.request('GET', '/v1/integrity/checkpoints');
    assert.equal(list.body.latest.tree_size, 21);
    assert.equal(list.body.history.length, 1);
  });

  it('gives inclusion proofs that verify independently, for every leaf and several tree sizes', async () => {
    for (const size of [21, 13, 1, 8]) {
      const root = mth(hashes.slice(0, size).map(leaf));
      for (let i = 0; i < size; i++) {
        const res = await t.request('GET', `/v1/events/${ids[i]}/proof?tree_size=${size}`);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.root_hash, root.toString('base64'));
        assert.ok(verifyInclusion(i, size, leaf(hashes[i]!), res.body.audit_path.map(b64), root), `leaf ${i} in ${size}`);
      }
    }
    const byDefault = await t.request('GET', `/v1/events/${ids[3]}/proof`);
    assert.equal(byDefault.body.tree_size, 21, 'defaults to the latest checkpoint');
  });

  it('gives consistency proofs that verify independently', async () => {
    for (const [from, to] of [[1, 21], [5, 21], [8, 21], [13, 14], [20, 21], [21, 21], [3, 7]] as const) {
      const res = await t.request('GET', `/v1/integrity/consistency?from=${from}&to=${to}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const first = mth(hashes.slice(0, from).map(leaf));
      const second = mth(hashes.slice(0, to).map(leaf));
      assert.equal(res.body.from_root, first.toString('base64'));
      assert.ok(verifyConsistency(from, to, first, second, res.body.proof.map(b64)), `${from} -> ${to}`);
    }
  });

  it('rejects bad input with a 4xx JSON error', async () => {
    const cases: Array<[string, string, number, string?]> = [
      ['GET', `/v1/events/${ids[0]}/proof?tree_size=abc`, 400],
      ['GET', `/v1/events/${ids[0]}/proof?tree_size=0`, 400],
      ['GET', `/v1/events/${ids[0]}/proof?tree_size=999`, 400],
      ['GET', `/v1/events/${ids[20]}/proof?tree_size=3`, 400],
      ['GET', `/v1/events/${ids[0]}/proof?bogus=1`, 400],
      ['GET', '/v1/events/no-such-id/proof', 404],
      ['GET', '/v1/integrity/consistency?from=5&to=2', 400],
      ['GET', '/v1/integrity/consistency?from=1&to=999', 400],
      ['GET', '/v1/integrity/consistency?from=0&to=2', 400],
      ['GET', '/v1/integrity/consistency', 400],
      ['GET', '/v1/integrity/checkpoints?limit=0', 400],
      ['POST', '/v1/integrity/checkpoints', 403],
    ];
    for (const [method, url, status] of cases) {
      const res = await t.request(method, url);
      assert.equal(res.status, status, `${method} ${url}: ${JSON.stringify(res.body)}`);
      assert.equal(typeof res.body.error.code, 'string');
      assert.equal(typeof res.body.error.message, 'string');
    }
    for (const url of ['/v1/integrity/checkpoints', '/v1/integrity/keys', `/v1/events/${ids[0]}/proof`, '/v1/integrity/consistency?from=1&to=2']) {
      assert.equal((await t.request('GET', url, { key: null })).status, 401, url);
    }
  });

  it("never shows one organization's tree to another", async () => {
    const other = await t.createOrg('other', ['events:read', 'events:write', 'admin']);
    assert.equal((await t.request('POST', '/v1/events', { key: other.key, body: sampleEvent() })).status, 201);
    const proof = await t.request('GET', `/v1/events/${ids[0]}/proof?tree_size=1`, { key: other.key });
    assert.equal(proof.status, 404);
    const list = await t.request('GET', '/v1/integrity/checkpoints', { key: other.key });
    assert.equal(list.body.latest, null);
    assert.equal((await t.request('GET', '/v1/integrity/consistency?from=1&to=21', { key: other.key })).status, 400);
    const own = await t.request('POST', '/v1/integrity/checkpoints', { key: other.key });
    assert.match(own.body.note, /^auditum\/other\n1\n/);
    assert.equal((await t.request('GET', '/v1/integrity/checkpoints')).body.latest.tree_size, 21, 'acme still sees only its own');
  });

  it('detects a stored checkpoint that was replaced', async () => {
    assert.equal((await t.request('GET', '/v1/integrity/verify')).body.ok, true);
    const forged = mth(hashes.slice(0, 20).map(leaf).concat(leaf('ff'.repeat(32)))).toString('base64');
    const select = 'SELECT note, root_hash FROM checkpoints WHERE org_id = ? AND tree_size = 21';
    const [row] = await rawQuery<{ note: string; root_hash: string }>(t.config, select, [t.org.id]);
    const update = 'UPDATE checkpoints SET note = ? WHERE org_id = ? AND tree_size = 21';
    await rawQuery(t.config, update, [row!.note.replace(row!.root_hash, forged), t.org.id]);
    const report = (await t.request('GET', '/v1/integrity/verify')).body;
    assert.equal(report.ok, false);
    assert.match(report.reason, /checkpoint at tree size 21: the signature does not verify/);
  });
});

describe('incremental checkpoints', () => {
  it('extends each checkpoint from the previous one\'s frontier and still matches the independent root', async () => {
    const t = await startTestApp();
    try {
      const admin = (await t.app.services.apiKeys.create(t.org.id, { name: 'admin', scopes: ['admin'] })).key;
      const hashes: string[] = [];
      for (const n of [5, 1, 2, 9, 32, 3, 200]) {
        const res = await t.request('POST', '/v1/events', { body: { events: Array.from({ length: n }, (_, i) => sampleEvent({ action: `more${i}` })) } });
        for (const e of res.body.events) hashes.push(e.hash);
        const created = await t.request('POST', '/v1/integrity/checkpoints', { key: admin });
        assert.equal(created.status, 201);
        assert.equal(created.body.tree_size, hashes.length);
        assert.equal(created.body.root_hash, mth(hashes.map(leaf)).toString('base64'), `root at size ${hashes.length}`);
      }
    } finally {
      await t.close();
    }
  });
});

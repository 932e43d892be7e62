import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import canonicalize from 'canonicalize';
import { createClient, verifyChain, type AuditumClient, type Entry } from '@auditum/client';
import { waitForExport } from '../helpers/exports.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { openRawSql, type RawSql } from '../helpers/test-database.ts';

/**
 * The SDK's verifyChain (written from the README alone) against the server's GET /v1/integrity/verify,
 * on the same chain, untouched and tampered with in the database as an attacker with disk access would.
 */
describe('@auditum/client: verifyChain agrees with the server', () => {
  let t: TestApp;
  let raw: RawSql;
  let client: AuditumClient;
  let orgRows = '';
  let orgId = '';
  beforeEach(async () => {
    t = await startTestApp();
    const org = await t.createOrg('verify', ['events:write', 'events:read', 'admin']);
    client = createClient({ url: t.url, apiKey: org.key, exitWarning: false });
    for (let i = 1; i <= 8; i++) void client.record({ type: 'user.login', actor: { id: `u${i}` }, metadata: { i } });
    await client.flush();
    orgRows = `org_id = '${org.id}'`;
    orgId = org.id;
    raw = await openRawSql(t.config);
  });
  afterEach(async () => {
    await raw.close();
    await client.close();
    await t.close();
  });

  /** The stored entries in seq order, read through the SDK (pages of GET /v1/events). */
  const chain = async (): Promise<Entry[]> => {
    const entries: Entry[] = [];
    for await (const entry of client.events.list({ pageSize: 500 })) entries.push(entry);
    return entries.sort((a, b) => a.seq - b.seq);
  };
  /** The latest checkpoint's note and the PEM of the key that signed it. */
  const signed = async () => {
    const checkpoint = await client.integrity.createCheckpoint();
    const key = (await client.integrity.keys()).find((k) => k.key_id === checkpoint.key_id)!;
    return { checkpoint: checkpoint.note, publicKey: key.public_key_pem, verifierKey: key.verifier_key };
  };
  /** Both verdicts: the SDK's problem and first bad seq, and the server's. */
  const both = async (options: Parameters<typeof verifyChain>[1] = {}) => {
    const sdk = await verifyChain(await chain(), options);
    const server = await client.integrity.verify();
    return { sdk, server };
  };

  it('an untouched chain: both say ok, and the JSONL export verifies against a signed checkpoint', async () => {
    const { checkpoint, publicKey, verifierKey } = await signed();
    const { sdk, server } = await both({ checkpoint, publicKey });
    assert.deepEqual(server, { ok: true, checked: 8, first_bad_seq: null, reason: null });
    assert.equal(sdk.ok, true);
    assert.deepEqual(sdk.ok && [sdk.checked, sdk.firstSeq, sdk.lastSeq, sdk.checkpoint?.treeSize], [8, 1, 8, 8]);

    const exported = await client.exports.create({ format: 'jsonl', order: 'chain' });
    await exported.wait({ intervalMs: 50 });
    const asSigned = { checkpoint, publicKey: verifierKey, origin: 'auditum/verify' };
    const fromFile = await verifyChain(exported.entries(), asSigned);
    assert.equal(fromFile.ok, true, JSON.stringify(fromFile));
    // The export's own export.created entry (seq 9) came after its through_seq.
    assert.deepEqual(fromFile.ok && [fromFile.checked, fromFile.lastSeq], [8, 8]);
  });

  it('after an erasure: both still say ok, against a checkpoint signed before it', async () => {
    const { checkpoint, publicKey } = await signed();
    await t.createUser(orgId, 'owner@verify.test', 'owner');
    const owner = await t.quietSession('owner@verify.test', 'verify');
    const asked = await t.request('POST', '/v1/erasures', { as: owner, body: { subject: { actor_id: 'u3' }, reason: 'test' } });
    assert.equal(asked.status, 202, JSON.stringify(asked.body));
    const done = await waitForExport(async () => (await t.request('GET', `/v1/erasures/${asked.body.id}`, { as: owner })).body);
    assert.equal(done.result.entries, 1, JSON.stringify(done));
    const erased = (await chain()).find((entry) => entry.seq === 3)!;
    assert.equal(erased.actor.id, '[erased]');
    assert.match((erased.personal!['actor.id'] as { commitment: string }).commitment, /^[0-9a-f]{64}$/);
    const { sdk, server } = await both({ checkpoint, publicKey });
    assert.equal(server.ok, true, JSON.stringify(server));
    assert.equal(sdk.ok, true, JSON.stringify(sdk));
  });

  const cases: Array<[string, () => Promise<void>, { problem: string; seq: number }]> = [
    ['an edited field', editMetadataOfFive, { problem: 'hash_mismatch', seq: 5 }],
    ['a deleted row', () => raw.run(`DELETE FROM events WHERE ${orgRows} AND seq = 3`), { problem: 'gap', seq: 3 }],
    ['an inserted row', insertForged, { problem: 'hash_mismatch', seq: 4 }],
    ['a swapped pair', swapSixAndSeven, { problem: 'broken_link', seq: 6 }],
  ];
  for (const [what, tamper, expected] of cases) {
    it(`${what}: both name the same first bad seq`, async () => {
      await tamper();
      const { sdk, server } = await both();
      assert.equal(server.ok, false);
      assert.equal(sdk.ok, false);
      assert.deepEqual(!sdk.ok && { problem: sdk.problem, seq: sdk.seq }, expected, JSON.stringify(sdk));
      assert.equal(server.first_bad_seq, expected.seq, server.reason!);
    });
  }

  it('a truncated tail: the checkpoint shows it (truncated at the same seq as the server says)', async () => {
    const { checkpoint, publicKey } = await signed();
    await raw.run(`DELETE FROM events WHERE ${orgRows} AND seq >= 7`);
    const unsigned = await verifyChain(await chain());
    assert.equal(unsigned.ok, true, 'without a checkpoint a shorter chain cannot be told from a truncated one');
    const { sdk, server } = await both({ checkpoint, publicKey });
    assert.deepEqual(!sdk.ok && [sdk.problem, sdk.seq], ['truncated', 7]);
    assert.deepEqual([server.ok, server.first_bad_seq], [false, 7]);
  });

  it('a chain rewritten with fresh hashes: only the signed root shows it, on both sides', async () => {
    const { checkpoint, publicKey } = await signed();
    await rewriteFrom(3, { i: 'rewritten' });
    const unsigned = await verifyChain(await chain());
    assert.equal(unsigned.ok, true, 'the rewritten chain is consistent in itself');
    const { sdk, server } = await both({ checkpoint, publicKey });
    assert.deepEqual(!sdk.ok && [sdk.problem, sdk.seq], ['root_mismatch', null]);
    assert.equal(server.ok, false);
    assert.match(server.reason!, /Merkle root/);
  });

  it("a checkpoint signed by another key, or edited, is refused; one needs the chain's start", async () => {
    const { checkpoint, publicKey } = await signed();
    const other = generateKeyPairSync('ed25519').publicKey;
    const wrongKey = await verifyChain(await chain(), { checkpoint, publicKey: other });
    assert.deepEqual(!wrongKey.ok && wrongKey.problem, 'bad_signature');
    const edited = checkpoint.replace(/^(auditum\/verify\n)8\n/, (_, origin: string) => `${origin}7\n`);
    assert.notEqual(edited, checkpoint);
    const bigger = await verifyChain(await chain(), { checkpoint: edited, publicKey });
    assert.deepEqual(!bigger.ok && bigger.problem, 'bad_signature');
    const tail = (await chain()).slice(3);
    const fromMiddle = await verifyChain(tail);
    assert.deepEqual(fromMiddle.ok && [fromMiddle.firstSeq, fromMiddle.checked], [4, 5], 'from the first prev_hash on');
    const needsStart = await verifyChain(tail, { checkpoint, publicKey });
    assert.deepEqual(!needsStart.ok && needsStart.problem, 'not_from_genesis');
  });

  async function editMetadataOfFive(): Promise<void> {
    await raw.run(`UPDATE events SET metadata = '{"i":99}' WHERE ${orgRows} AND seq = 5`);
  }

  /** integrity.test.ts's forgery: seqs 4.. moved up one, and a row put in at seq 4 chained to seq 3. */
  async function insertForged(): Promise<void> {
    await raw.run(`UPDATE events SET seq = seq + 1000 WHERE ${orgRows} AND seq >= 4`);
    await raw.run(`UPDATE events SET seq = seq - 999 WHERE ${orgRows} AND seq >= 1004`);
    await raw.run(
      `INSERT INTO events (pk, org_id, id, seq, type, category, result, actor_id, actor_type, occurred_at, received_at,
         prev_hash, hash)
       SELECT (SELECT max(pk) + 1 FROM events), org_id, 'forged', 4, type, category, result, 'intruder', actor_type,
         occurred_at, received_at, hash, hash FROM events WHERE ${orgRows} AND seq = 3`,
    );
  }

  async function swapSixAndSeven(): Promise<void> {
    await raw.run(`UPDATE events SET seq = -6 WHERE ${orgRows} AND seq = 6`);
    await raw.run(`UPDATE events SET seq = 6 WHERE ${orgRows} AND seq = 7`);
    await raw.run(`UPDATE events SET seq = 7 WHERE ${orgRows} AND seq = -6`);
  }

  /**
   * What an attacker who knows the hash rule does: edit entry `from`, then recompute every hash from
   * it on (and the chain head), here with node:crypto and canonicalize rather than the SDK's code,
   * under hash version 1 (no commitments), which verifies as well as version 2.
   */
  async function rewriteFrom(from: number, metadata: Record<string, unknown>): Promise<void> {
    await raw.run(`UPDATE events SET metadata = ? WHERE ${orgRows} AND seq = ?`, [JSON.stringify(metadata), from]);
    const entries = await chain();
    let prev = entries[from - 2]!.hash;
    for (const entry of entries.slice(from - 1)) {
      const { hash: _old, hash_version: _v, personal: _p, ...rest } = { ...entry, prev_hash: prev };
      const hash = createHash('sha256').update(prev).update(canonicalize(rest)!).digest('hex');
      const set = 'prev_hash = ?, hash = ?, hash_version = 1, personal = NULL';
      await raw.run(`UPDATE events SET ${set} WHERE ${orgRows} AND seq = ?`, [prev, hash, entry.seq]);
      prev = hash;
    }
    await raw.run(`UPDATE chain_heads SET last_hash = ? WHERE ${orgRows}`, [prev]);
  }
});

describe('@auditum/client: verifyChain computes the Merkle root the server signs, at every tree size', () => {
  it('tree sizes 1 to 17 (perfect and unbalanced trees)', async () => {
    const t = await startTestApp();
    const org = await t.createOrg('sizes', ['events:write', 'events:read', 'admin']);
    const client = createClient({ url: t.url, apiKey: org.key, exitWarning: false });
    try {
      const entries: Entry[] = [];
      const keys = new Map<string, string>();
      for (let size = 1; size <= 17; size++) {
        const ack = await client.recordNow({ type: 'user.login', actor: { id: `u${size}` } });
        entries.push((await client.events.get(ack.id))!);
        const checkpoint = await client.integrity.createCheckpoint();
        if (!keys.has(checkpoint.key_id)) {
          for (const k of await client.integrity.keys()) keys.set(k.key_id, k.public_key_pem);
        }
        assert.equal(checkpoint.tree_size, size);
        const publicKey = keys.get(checkpoint.key_id)!;
        const result = await verifyChain(entries, { checkpoint: checkpoint.note, publicKey });
        assert.equal(result.ok, true, `size ${size}: ${JSON.stringify(result)}`);
      }
    } finally {
      await client.close();
      await t.close();
    }
  });
});

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { buildEntry } from '../../src/events/entry-mapping.ts';
import { eventInputSchema, type Entry } from '../../src/events/event.schemas.ts';
import { canonicalEntry, entryHash, GENESIS_HASH } from '../../src/events/hash-chain.ts';
import { eraseFields, ERASED } from '../../src/events/personal-fields.ts';
import { verifyChain } from '../../src/integrity/chain-verifier.ts';

function chain(n: number): Entry[] {
  const entries: Entry[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const input = eventInputSchema.parse({ type: 'user.login', actor: { id: `u${seq}` }, metadata: { n: seq, note: 'é"\n' } });
    const draft = buildEntry(input, { id: `e${seq}`, orgId: 'org', seq, prevHash, receivedAt: Date.UTC(2026, 0, 1, 0, 0, seq) });
    const entry = { ...draft, hash: entryHash(draft) };
    entries.push(entry);
    prevHash = entry.hash;
  }
  return entries;
}

async function* once(entries: Entry[]) {
  yield entries;
}

describe('hash chain', () => {
  it('hashes prev_hash followed by RFC 8785 canonical JSON, personal fields by their salted commitments (version 2)', () => {
    const [entry] = chain(1);
    assert.equal(entry!.hash_version, 2);
    const salt = (entry!.personal!['actor.id'] as { salt: string }).salt;
    assert.match(salt, /^[0-9a-f]{32}$/);
    const commitment = createHash('sha256').update(`${salt}"u1"`, 'utf8').digest('hex');
    const canonical = canonicalEntry(entry!);
    // Canonical form: keys sorted by UTF-16 code units, no whitespace, no hash or personal member.
    assert.ok(canonical.startsWith(`{"action":null,"actor":{"id":"${commitment}","type":"user"},"category":"user","hash_version":2,"id":"e1","ip":null,"metadata":{"n":1,"note":"é\\"\\n"}`), canonical);
    assert.ok(!canonical.includes('"hash"') && !canonical.includes('personal') && !canonical.includes(salt));
    const expected = createHash('sha256').update(GENESIS_HASH + canonical, 'utf8').digest('hex');
    assert.equal(entry!.hash, expected);
  });

  it('hashes a version 1 entry (no hash_version) over its values', () => {
    const [v2] = chain(1);
    const { hash_version: _v, personal: _p, hash: _h, ...v1 } = v2!;
    const canonical = canonicalEntry(v1);
    assert.ok(canonical.startsWith('{"action":null,"actor":{"id":"u1","type":"user"},"category":"user","id":"e1"'), canonical);
    assert.equal(entryHash(v1), createHash('sha256').update(GENESIS_HASH + canonical, 'utf8').digest('hex'));
  });

  it('keeps the hash through an erasure, and still catches every other change to the erased entry', async () => {
    const entries = chain(3);
    const erased = eraseFields(entries[1]!, ['actor.id']);
    assert.equal(erased.actor.id, ERASED);
    assert.deepEqual(Object.keys(erased.personal!['actor.id']!), ['commitment']);
    assert.equal(entryHash(erased), entries[1]!.hash);
    assert.equal((await verifyChain(once([entries[0]!, erased, entries[2]!]))).ok, true);
    const { 'actor.id': _gone, ...withoutPath } = erased.personal!;
    const forgeries = [
      { ...erased, personal: { ...erased.personal, 'actor.id': { commitment: '0'.repeat(64) } } },
      { ...erased, personal: withoutPath },
      { ...erased, personal: { ...erased.personal, 'actor.type': { salt: '0'.repeat(32) } } },
      { ...erased, personal: { ...erased.personal, 'metadata.gone': { salt: '0'.repeat(32) } } },
      { ...erased, metadata: { n: 99, note: 'x' } },
    ];
    for (const forged of forgeries) {
      const report = await verifyChain(once([entries[0]!, forged as Entry, entries[2]!]));
      assert.equal(report.first_bad_seq, 2, JSON.stringify(forged.personal));
      assert.match(report.reason!, /content does not match its hash/);
    }
  });

  it('verifies an intact chain', async () => {
    const entries = chain(5);
    const report = await verifyChain(once(entries), undefined, { lastSeq: 5, lastHash: entries[4]!.hash });
    assert.deepEqual(report, { ok: true, checked: 5, first_bad_seq: null, reason: null });
  });

  it('detects an edited field', async () => {
    const entries = chain(5);
    entries[2] = { ...entries[2]!, action: 'tampered' };
    const report = await verifyChain(once(entries));
    assert.equal(report.first_bad_seq, 3);
    assert.match(report.reason!, /content does not match its hash/);
  });

  it('detects a deleted row', async () => {
    const entries = chain(5);
    entries.splice(1, 1);
    const report = await verifyChain(once(entries));
    assert.equal(report.first_bad_seq, 2);
    assert.match(report.reason!, /seq 2 is missing/);
  });

  it('detects an inserted row, even one with a valid-looking hash', async () => {
    const entries = chain(5);
    const forged = { ...entries[2]!, id: 'forged', seq: 3, prev_hash: entries[1]!.hash };
    forged.hash = entryHash(forged);
    // The forger renumbers the rest, but cannot fix their prev_hash links.
    const tampered = [...entries.slice(0, 2), forged, ...entries.slice(2).map((e) => ({ ...e, seq: e.seq + 1 }))];
    const report = await verifyChain(once(tampered));
    assert.equal(report.ok, false);
    assert.equal(report.first_bad_seq, 4);
  });

  it('detects a swapped pair', async () => {
    const entries = chain(5);
    const a = entries[1]!;
    const b = entries[2]!;
    entries[1] = { ...b, seq: 2 };
    entries[2] = { ...a, seq: 3 };
    const report = await verifyChain(once(entries));
    assert.equal(report.first_bad_seq, 2);
  });

  it('detects entries removed from the end when the head is known', async () => {
    const entries = chain(5);
    const report = await verifyChain(once(entries.slice(0, 3)), undefined, { lastSeq: 5, lastHash: entries[4]!.hash });
    assert.equal(report.ok, false);
    assert.equal(report.first_bad_seq, 4);
    assert.match(report.reason!, /removed from the end/);
  });
});

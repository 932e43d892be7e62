import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { buildEntry } from '../../src/events/entry-mapping.ts';
import { eventInputSchema, type Entry } from '../../src/events/event.schemas.ts';
import { canonicalEntry, entryHash, GENESIS_HASH } from '../../src/events/hash-chain.ts';
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
  it('hashes prev_hash followed by RFC 8785 canonical JSON without the hash field', () => {
    const [entry] = chain(1);
    const canonical = canonicalEntry(entry!);
    // Canonical form: keys sorted by UTF-16 code units, no whitespace, no hash field.
    assert.ok(canonical.startsWith('{"action":null,"actor":{"id":"u1","type":"user"},"category":"user","id":"e1","ip":null,"metadata":{"n":1,"note":"é\\"\\n"}'));
    assert.ok(!canonical.includes('"hash"'));
    const expected = createHash('sha256').update(GENESIS_HASH + canonical, 'utf8').digest('hex');
    assert.equal(entry!.hash, expected);
  });

  it('verifies an intact chain', async () => {
    const report = await verifyChain(once(chain(5)), undefined, { lastSeq: 5, lastHash: chain(5)[4]!.hash });
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

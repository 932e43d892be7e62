import { parseCheckpoint, signedBy, toPublicKey, type Checkpoint, type PublicKeyInput } from './checkpoint.ts';
import { entryHash, GENESIS_HASH } from './hash-chain.ts';
import { createMerkleAccumulator } from './merkle.ts';
import type { Entry } from './types.ts';

/**
 * How a chain can fail: `gap` (a seq is missing: a row was deleted), `out_of_order` (a seq repeats or
 * goes back), `broken_link` (prev_hash is not the previous entry's hash: inserted, replaced or reordered
 * rows), `hash_mismatch` (the content does not give its hash: an edited field), `truncated` (the chain
 * ends before the checkpoint's tree size), `root_mismatch` (the entries give another Merkle root than the
 * signed one), `bad_checkpoint` (unreadable, or for another origin), `bad_signature` (not signed by the
 * key), `not_from_genesis` (a checkpoint needs the entries from seq 1), `malformed` (not an entry).
 */
export type ChainProblem =
  | 'gap'
  | 'out_of_order'
  | 'broken_link'
  | 'hash_mismatch'
  | 'truncated'
  | 'root_mismatch'
  | 'bad_checkpoint'
  | 'bad_signature'
  | 'not_from_genesis'
  | 'malformed';

export interface VerifiedCheckpoint {
  origin: string;
  treeSize: number;
  /** base64, as in the note */
  rootHash: string;
}

/** The chain holds: how many entries, from which seq to which, and the checkpoint it matched. */
export interface ChainVerified {
  ok: true;
  checked: number;
  firstSeq: number | null;
  lastSeq: number | null;
  lastHash: string | null;
  checkpoint: VerifiedCheckpoint | null;
}

/** The first problem found: what, at which entry, in words, and the values compared where there are two. */
export interface ChainBroken {
  ok: false;
  /** Entries that passed before the problem. */
  checked: number;
  problem: ChainProblem;
  /** The first entry that is wrong (for a gap: the missing seq); null for problems of the checkpoint as a whole. */
  seq: number | null;
  message: string;
  expected?: string;
  actual?: string;
}

export type VerifyChainResult = ChainVerified | ChainBroken;

export interface VerifyChainOptions {
  /** A signed checkpoint note (`GET /v1/integrity/checkpoints`, `note`): needs `publicKey` and entries from seq 1. */
  checkpoint?: string;
  /** The checkpoint's Ed25519 key: PEM, a KeyObject, or the C2SP verifier key of `GET /v1/integrity/keys`. */
  publicKey?: PublicKeyInput;
  /** When given, the checkpoint must be for this origin (`auditum/<org slug>`). */
  origin?: string;
}

/**
 * Checks entries given in seq order against the README's hash chain specification (from the genesis
 * when the first is seq 1, else from its prev_hash), and with a checkpoint, its signature and that
 * the Merkle root of entries 1..tree size is the signed one. Stops at the first problem.
 */
export async function verifyChain(
  entries: AsyncIterable<Entry> | Iterable<Entry>,
  options: VerifyChainOptions = {},
): Promise<VerifyChainResult> {
  let checked = 0;
  const fail = (problem: ChainProblem, seq: number | null, message: string, more: Partial<ChainBroken> = {}) =>
    ({ ok: false, checked, problem, seq, message, ...more }) satisfies ChainBroken;

  const signed = readCheckpoint(options);
  if ('problem' in signed) return fail(signed.problem, null, signed.message);
  const checkpoint = signed.checkpoint;
  const merkle = createMerkleAccumulator();
  let first: number | null = null;
  let previous: { seq: number; hash: string } | undefined;

  for await (const entry of entries) {
    if (!isEntry(entry)) return fail('malformed', null, `item ${checked + 1} has no seq, prev_hash or hash`);
    const { seq } = entry;
    if (previous === undefined) {
      first = seq;
      if (checkpoint && seq !== 1) {
        return fail('not_from_genesis', seq, `a checkpoint is checked from seq 1; the entries start at seq ${seq}`);
      }
      if (seq === 1 && entry.prev_hash !== GENESIS_HASH) {
        const compared = { expected: GENESIS_HASH, actual: entry.prev_hash };
        return fail('broken_link', 1, 'entry seq 1 does not chain from the genesis (64 zeros)', compared);
      }
    } else {
      const next = previous.seq + 1;
      if (seq > next) return fail('gap', next, `entry seq ${next} is missing (next: seq ${seq}): a row was deleted`);
      if (seq < next) {
        const message = `entry seq ${seq} comes after seq ${previous.seq}: rows were inserted or reordered`;
        return fail('out_of_order', seq, message);
      }
      if (entry.prev_hash !== previous.hash) {
        const message = `entry seq ${seq}'s prev_hash is not the hash of seq ${previous.seq}: `
          + 'a row was inserted, replaced or reordered';
        return fail('broken_link', seq, message, { expected: previous.hash, actual: entry.prev_hash });
      }
    }
    let computed: string;
    try {
      computed = entryHash(entry as unknown as Entry & Record<string, unknown>);
    } catch (error) {
      const message = `entry seq ${seq} cannot be hashed (${(error as Error).message}): a field was changed`;
      return fail('hash_mismatch', seq, message, { actual: entry.hash });
    }
    if (computed !== entry.hash) {
      const message = `entry seq ${seq}'s content does not give its hash: a field was changed`;
      return fail('hash_mismatch', seq, message, { expected: computed, actual: entry.hash });
    }
    if (checkpoint && merkle.size() < checkpoint.treeSize) merkle.add(entry.hash);
    previous = { seq, hash: entry.hash };
    checked += 1;
  }

  if (checkpoint) {
    const size = checkpoint.treeSize;
    if (merkle.size() < size) {
      const end = previous?.seq ?? 0;
      const message = `the checkpoint covers ${size} entries but the chain ends at seq ${end}: `
        + 'entries were removed from the end';
      return fail('truncated', end + 1, message);
    }
    const root = merkle.root();
    if (!root.equals(checkpoint.rootHash)) {
      const message = `entries 1..${size} give a different Merkle root than the signed checkpoint`;
      const compared = { expected: checkpoint.rootHash.toString('base64'), actual: root.toString('base64') };
      return fail('root_mismatch', null, message, compared);
    }
  }
  const { origin, treeSize, rootHash } = checkpoint ?? {};
  return {
    ok: true,
    checked,
    firstSeq: first,
    lastSeq: previous?.seq ?? null,
    lastHash: previous?.hash ?? null,
    checkpoint: checkpoint ? { origin: origin!, treeSize: treeSize!, rootHash: rootHash!.toString('base64') } : null,
  };
}

type CheckpointProblem = { problem: ChainProblem; message: string };

/** The checkpoint of the options, its signature checked; none when not given. */
function readCheckpoint(options: VerifyChainOptions): { checkpoint?: Checkpoint } | CheckpointProblem {
  if (options.checkpoint === undefined) return {};
  if (options.publicKey === undefined) throw new TypeError('verifyChain: a checkpoint needs the key that signed it');
  const parsed = parseCheckpoint(options.checkpoint);
  if ('error' in parsed) return { problem: 'bad_checkpoint', message: parsed.error };
  if (!signedBy(parsed.body, parsed.signatures, toPublicKey(options.publicKey))) {
    return { problem: 'bad_signature', message: 'the checkpoint does not carry a valid signature by the given key' };
  }
  const { origin } = parsed.checkpoint;
  if (options.origin !== undefined && origin !== options.origin) {
    return { problem: 'bad_checkpoint', message: `the checkpoint is for ${origin}, not ${options.origin}` };
  }
  return { checkpoint: parsed.checkpoint };
}

function isEntry(value: unknown): value is Entry {
  const entry = value as Partial<Entry> | null;
  return typeof entry === 'object' && entry !== null && Number.isSafeInteger(entry.seq)
    && typeof entry.prev_hash === 'string' && typeof entry.hash === 'string';
}

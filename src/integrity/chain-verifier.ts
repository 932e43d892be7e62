import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Entry } from '../events/event.schemas.ts';
import { entryHash, GENESIS_HASH, HashFormError } from '../events/hash-chain.ts';

export interface VerifyReport {
  ok: boolean;
  checked: number;
  first_bad_seq: number | null;
  reason: string | null;
}

/** Where verification starts: the genesis, or a retention anchor (the last purged entry). */
export interface ChainStart {
  seq: number;
  hash: string;
}

export const GENESIS: ChainStart = { seq: 0, hash: GENESIS_HASH };

/**
 * Walks entries in seq order and reports the first that breaks the chain: a gap in seq
 * (a deleted row), a prev_hash that is not the previous entry's hash (an inserted or
 * reordered row), or a hash that does not match the content (an edited field).
 * `expectedHead`, when known, catches entries removed from the end.
 */
export async function verifyChain(
  pages: AsyncIterable<Entry[]>,
  start: ChainStart = GENESIS,
  expectedHead?: { lastSeq: number; lastHash: string },
): Promise<VerifyReport> {
  let previous = start;
  let checked = 0;
  const bad = (seq: number, reason: string): VerifyReport => ({ ok: false, checked, first_bad_seq: seq, reason });
  for await (const page of pages) {
    for (const entry of page) {
      const expectedSeq = previous.seq + 1;
      if (entry.seq !== expectedSeq) {
        return entry.seq > expectedSeq
          ? bad(expectedSeq, `entry seq ${expectedSeq} is missing (next stored entry is seq ${entry.seq}): a row was deleted`)
          : bad(entry.seq, `entry seq ${entry.seq} appears out of order after seq ${previous.seq}: rows were inserted or reordered`);
      }
      if (entry.prev_hash !== previous.hash) {
        return bad(entry.seq, `entry seq ${entry.seq} prev_hash does not match the hash of seq ${previous.seq}: a row was inserted, replaced or reordered`);
      }
      const problem = hashProblem(entry);
      if (problem) return bad(entry.seq, `entry seq ${entry.seq} ${problem}`);
      previous = { seq: entry.seq, hash: entry.hash };
      checked += 1;
    }
    await yieldToEventLoop();
  }
  if (expectedHead && (expectedHead.lastSeq !== previous.seq || expectedHead.lastHash !== previous.hash)) {
    if (expectedHead.lastSeq > previous.seq) {
      return bad(previous.seq + 1, `chain ends at seq ${previous.seq} but ${expectedHead.lastSeq} entries were written: entries were removed from the end`);
    }
    return bad(expectedHead.lastSeq, `the chain head (seq ${expectedHead.lastSeq}) does not match the stored entries`);
  }
  return { ok: true, checked, first_bad_seq: null, reason: null };
}

/** Why an entry's content does not give its hash, or undefined when it does. */
function hashProblem(entry: Entry): string | undefined {
  try {
    return entryHash(entry) === entry.hash ? undefined : 'content does not match its hash: a field was changed';
  } catch (error) {
    if (error instanceof HashFormError) return `content does not match its hash: a field was changed (${error.message})`;
    throw error;
  }
}

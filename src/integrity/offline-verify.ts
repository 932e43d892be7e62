import fs from 'node:fs';
import readline from 'node:readline';
import { createPublicKey } from 'node:crypto';
import type { Entry } from '../events/event.schemas.ts';
import { GENESIS, verifyChain, type VerifyReport } from './chain-verifier.ts';
import { emptyRange, extendRange, leafHash, rangeRoot } from './merkle-tree.ts';
import { parseCheckpoint, verifyNote, type ParsedNote } from './signed-note.ts';

const PAGE = 1000;

export interface OfflineInput {
  /** JSONL: one stored entry per line, contiguous by seq. */
  file: string;
  /** A signed checkpoint note, and the PEM public key that must have signed it. */
  checkpoint?: { note: string; publicKeyPem: string };
  /** Called with the number of entries read so far, once per page (a terminal shows it). */
  progress?: (entries: number) => void;
}

class LineError extends Error {
  constructor(readonly seq: number | null, message: string) {
    super(message);
  }
}

/**
 * Verifies an export without the server: the hash chain (from the genesis when the file starts
 * at seq 1, else from its first entry's prev_hash), then, with a checkpoint, its signature, that
 * the file covers the checkpoint's tree size, and the Merkle root of the first tree_size entries.
 */
export async function verifyExport(input: OfflineInput): Promise<VerifyReport> {
  const parsedOrReport = input.checkpoint ? parseCheckpointOrReport(input.checkpoint) : undefined;
  if (parsedOrReport && 'ok' in parsedOrReport) return parsedOrReport;
  const cp: ParsedNote | undefined = parsedOrReport;
  const range = emptyRange();
  let firstSeq: number | undefined;
  let lastSeq = 0;

  async function* pages(): AsyncGenerator<Entry[]> {
    const lines = readline.createInterface({ input: fs.createReadStream(input.file, 'utf8'), crlfDelay: Infinity });
    let page: Entry[] = [];
    let lineNo = 0;
    for await (const line of lines) {
      lineNo += 1;
      if (line.trim() === '') continue;
      let entry: Entry;
      try {
        entry = JSON.parse(line) as Entry;
      } catch {
        throw new LineError(lastSeq + 1, `line ${lineNo} is not valid JSON`);
      }
      if (typeof entry?.seq !== 'number' || typeof entry.hash !== 'string' || typeof entry.prev_hash !== 'string') {
        throw new LineError(lastSeq + 1, `line ${lineNo} is not a stored entry (seq, hash and prev_hash are required)`);
      }
      firstSeq ??= entry.seq;
      lastSeq = entry.seq;
      // Leaves are only meaningful for a file that starts at seq 1; the chain check catches any gap.
      if (cp && firstSeq === 1 && range.size < cp.checkpoint.treeSize) extendRange(range, [leafHash(entry.hash)]);
      page.push(entry);
      if (page.length === PAGE) {
        input.progress?.(lastSeq - firstSeq + 1);
        yield page;
        page = [];
      }
    }
    if (page.length) yield page;
  }

  let report: VerifyReport;
  try {
    const iterator = pages();
    const first = await iterator.next();
    const start = first.done || first.value[0]!.seq === 1 ? GENESIS : { seq: first.value[0]!.seq - 1, hash: first.value[0]!.prev_hash };
    report = await verifyChain((async function* () {
      if (!first.done) yield first.value;
      yield* iterator;
    })(), start);
  } catch (error) {
    if (!(error instanceof LineError)) throw error;
    return { ok: false, checked: 0, first_bad_seq: error.seq, reason: error.message };
  }
  if (!report.ok || !cp) return report;

  const size = cp.checkpoint.treeSize;
  const bad = (reason: string, seq: number | null = null): VerifyReport => ({ ...report, ok: false, first_bad_seq: seq, reason });
  if (size > lastSeq) return bad(`the export ends at seq ${lastSeq} but the checkpoint covers ${size} entries: entries were removed from the end`, lastSeq + 1);
  if (size > 0 && firstSeq !== 1) return bad(`the export starts at seq ${firstSeq ?? 'none'}; checking the checkpoint's Merkle root needs every entry from seq 1`, 1);
  if (!rangeRoot(range).equals(cp.checkpoint.rootHash)) return bad(`the Merkle root of entries 1..${size} does not match the checkpoint: the log was rewritten or the checkpoint replaced`);
  return report;
}

function parseCheckpointOrReport(input: { note: string; publicKeyPem: string }) {
  const fail = (reason: string): VerifyReport => ({ ok: false, checked: 0, first_bad_seq: null, reason });
  let parsed;
  try {
    parsed = parseCheckpoint(input.note);
  } catch (error) {
    return fail(`checkpoint is malformed: ${(error as Error).message}`);
  }
  let key;
  try {
    key = createPublicKey(input.publicKeyPem);
  } catch {
    return fail('the public key is not a PEM Ed25519 public key');
  }
  if (!verifyNote(parsed, key)) return fail(`checkpoint signature does not verify with the given key: the checkpoint was replaced or signed by another key`);
  return parsed;
}

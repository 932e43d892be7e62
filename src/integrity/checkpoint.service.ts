import { createPublicKey } from 'node:crypto';
import type { Database } from '../db/database.ts';
import type { EventStore } from '../events/event-store.ts';
import { AppError, NotFoundError, ValidationError } from '../errors.ts';
import type { OrgService } from '../orgs/org.service.ts';
import { createCheckpointRepo } from './checkpoint.repo.ts';
import type { IntegrityService } from './integrity.service.ts';
import { leafHash, PurgedRangeError, rangeRoot, type CompactRange } from './merkle-tree.ts';
import type { CheckpointsTable } from '../db/tables.ts';
import { parseCheckpoint, signCheckpoint, verifyNote } from './signed-note.ts';
import { KEY_NAME, type SigningKeys } from './signing-keys.ts';

export interface CheckpointView {
  tree_size: number;
  root_hash: string;
  key_id: string;
  created_at: string;
  note: string;
}

const b64 = (b: Buffer) => b.toString('base64');
const view = (row: { tree_size: number; root_hash: string; key_id: string; note: string; created_at: number }): CheckpointView => ({
  tree_size: Number(row.tree_size),
  root_hash: row.root_hash,
  key_id: row.key_id,
  created_at: new Date(Number(row.created_at)).toISOString(),
  note: row.note,
});

/** Proofs that need leaves removed by retention cannot be built. */
function purgedError(error: unknown): never {
  if (error instanceof PurgedRangeError) throw new AppError(410, 'purged', `the proof needs entries removed by retention (${error.message})`);
  throw error;
}

/** Signed checkpoints of each organization's Merkle tree, and inclusion and consistency proofs. */
export function createCheckpointService(deps: { database: Database; store: EventStore; integrity: IntegrityService; orgs: OrgService; keys: SigningKeys }) {
  const repo = createCheckpointRepo({ database: deps.database });

  /**
   * The compact range of the first `size` leaves: the previous checkpoint's frontier extended by
   * the entries added since (O(new entries)), or computed from the whole tree when there is none.
   */
  async function frontierAt(orgId: string, previous: CheckpointsTable | undefined, size: number): Promise<CompactRange> {
    const tree = await deps.integrity.tree(orgId);
    if (previous?.frontier && Number(previous.tree_size) <= size) {
      const base = { size: Number(previous.tree_size), nodes: (JSON.parse(previous.frontier) as string[]).map((h) => Buffer.from(h, 'hex')) };
      try {
        return await tree.extendTo(base, size);
      } catch (error) {
        // Leaves after the previous checkpoint were purged: the whole-tree path starts from the retention anchor.
        if (!(error instanceof PurgedRangeError)) throw error;
      }
    }
    return tree.compactRange(size);
  }

  /** Signs a checkpoint at the current head; returns the latest one if nothing was added since. */
  async function create(orgId: string): Promise<CheckpointView> {
    const { lastSeq } = await deps.store.head(orgId);
    const latest = await repo.latest(orgId);
    if (latest && Number(latest.tree_size) === lastSeq) return view(latest);
    const org = await deps.orgs.byId(orgId);
    const range = await frontierAt(orgId, latest, lastSeq).catch(purgedError);
    const rootHash = rangeRoot(range);
    const { keyId, privateKey } = await deps.keys.active();
    const row = {
      org_id: orgId,
      tree_size: lastSeq,
      root_hash: b64(rootHash),
      key_id: keyId,
      note: signCheckpoint({ origin: `auditum/${org.slug}`, treeSize: lastSeq, rootHash }, KEY_NAME, privateKey),
      created_at: Date.now(),
      frontier: JSON.stringify(range.nodes.map((n) => n.toString('hex'))),
    };
    await repo.insert(row);
    return view((await repo.bySize(orgId, lastSeq)) ?? row);
  }

  async function list(orgId: string, limit: number) {
    const rows = await repo.history(orgId, limit);
    return { latest: rows[0] ? view(rows[0]) : null, history: rows.map(view) };
  }

  async function sizeOrLatest(orgId: string, treeSize: number | undefined): Promise<number> {
    if (treeSize !== undefined) {
      const { lastSeq } = await deps.store.head(orgId);
      if (treeSize > lastSeq) throw new ValidationError(`tree_size ${treeSize} is larger than the log (${lastSeq} entries)`);
      return treeSize;
    }
    const latest = await repo.latest(orgId);
    if (!latest) throw new NotFoundError('checkpoint (none signed yet; POST /v1/integrity/checkpoints)');
    return Number(latest.tree_size);
  }

  /** Inclusion proof of one entry in the tree of `treeSize` (default: the latest checkpoint). */
  async function inclusion(orgId: string, eventId: string, treeSize?: number) {
    const entry = await deps.store.get(orgId, eventId);
    if (!entry) throw new NotFoundError('event');
    const size = await sizeOrLatest(orgId, treeSize);
    if (entry.seq > size) throw new ValidationError(`entry seq ${entry.seq} is not in the tree of size ${size}`);
    const tree = await deps.integrity.tree(orgId);
    const [path, root] = await Promise.all([tree.inclusionProof(entry.seq - 1, size), tree.root(size)]).catch(purgedError);
    return { id: entry.id, seq: entry.seq, leaf_index: entry.seq - 1, tree_size: size, entry_hash: entry.hash, leaf_hash: b64(leafHash(entry.hash)), root_hash: b64(root), audit_path: path.map(b64) };
  }

  /** Consistency proof between tree sizes `from` and `to`. */
  async function consistency(orgId: string, from: number, to: number) {
    const { lastSeq } = await deps.store.head(orgId);
    if (from > to) throw new ValidationError(`from (${from}) must not be larger than to (${to})`);
    if (to > lastSeq) throw new ValidationError(`to (${to}) is larger than the log (${lastSeq} entries)`);
    const tree = await deps.integrity.tree(orgId);
    const [proof, fromRoot, toRoot] = await Promise.all([tree.consistencyProof(from, to), tree.root(from), tree.root(to)]).catch(purgedError);
    return { from, to, from_root: b64(fromRoot), to_root: b64(toRoot), proof: proof.map(b64) };
  }

  /**
   * Checks the latest stored checkpoint: signed by one of our keys, for this organization, and
   * with the root the stored entries give. Returns a reason, or null when it holds (or there is
   * none, or retention removed entries it covers).
   */
  async function checkLatest(orgId: string): Promise<string | null> {
    const row = await repo.latest(orgId);
    if (!row) return null;
    const size = Number(row.tree_size);
    let parsed;
    try {
      parsed = parseCheckpoint(row.note);
    } catch (error) {
      return `checkpoint at tree size ${size} is malformed: ${(error as Error).message}`;
    }
    const org = await deps.orgs.byId(orgId);
    const keys = (await deps.keys.list()).map((k) => createPublicKey(k.public_key_pem));
    if (!keys.some((k) => verifyNote(parsed, k, KEY_NAME))) return `checkpoint at tree size ${size}: the signature does not verify with any Auditum key`;
    if (parsed.checkpoint.origin !== `auditum/${org.slug}` || parsed.checkpoint.treeSize !== size) return `checkpoint at tree size ${size} is signed for ${parsed.checkpoint.origin} at size ${parsed.checkpoint.treeSize}`;
    let root: Buffer;
    try {
      root = await (await deps.integrity.tree(orgId)).root(size);
    } catch (error) {
      if (error instanceof PurgedRangeError) return null;
      throw error;
    }
    if (!root.equals(parsed.checkpoint.rootHash)) return `checkpoint at tree size ${size}: the stored entries give a different Merkle root than the signed one`;
    return null;
  }

  /** The chain from the retention anchor, then (when the chain holds) the latest checkpoint. */
  async function verify(orgId: string) {
    const report = await deps.integrity.verify(orgId);
    if (!report.ok) return report;
    const reason = await checkLatest(orgId);
    return reason ? { ...report, ok: false, reason } : report;
  }

  return { create, list, inclusion, consistency, checkLatest, verify };
}

export type CheckpointService = ReturnType<typeof createCheckpointService>;

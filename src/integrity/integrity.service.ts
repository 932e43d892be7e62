import type { EventStore } from '../events/event-store.ts';
import { GENESIS, verifyChain, type ChainStart, type VerifyReport } from './chain-verifier.ts';
import { createTreeHasher, emptyRange, leafHash, type CompactRange } from './merkle-tree.ts';

const PAGE = 2000;

/** What verification needs from retention: where the stored chain and tree now begin. */
export interface RetentionAnchors {
  chainStart(orgId: string): Promise<ChainStart | undefined>;
  purgedRange(orgId: string): Promise<CompactRange>;
}

const noAnchors: RetentionAnchors = { chainStart: async () => undefined, purgedRange: async () => emptyRange() };

/** Verifies an organization's stored chain end to end, and builds its Merkle tree. */
export function createIntegrityService({ store, anchors = noAnchors }: { store: EventStore; anchors?: RetentionAnchors }) {
  /** The entries after `afterSeq` up to `throughSeq`, in pages: what was appended since is not read. */
  async function* pages(orgId: string, afterSeq: number, throughSeq: number) {
    let after = afterSeq;
    while (after < throughSeq) {
      const page = await store.bySeq(orgId, after, Math.min(PAGE, throughSeq - after));
      if (page.length === 0) return;
      yield page;
      after = page[page.length - 1]!.seq;
    }
  }

  /**
   * Walks the chain from the retention anchor (or the genesis) to the head as it was when
   * verification began; entries appended meanwhile are left for the next run.
   */
  async function verify(orgId: string): Promise<VerifyReport> {
    const start = (await anchors.chainStart(orgId)) ?? GENESIS;
    const head = await store.head(orgId);
    const report = await verifyChain(pages(orgId, start.seq, head.lastSeq), start, head);
    if (!report.ok) return report;
    // A row past the head is an append only if the head has reached it since (read after the row).
    const [beyond] = await store.hashesBySeq(orgId, head.lastSeq, 1);
    const now = beyond ? await store.head(orgId) : head;
    if (beyond && beyond.seq > now.lastSeq) {
      const reason = `entry seq ${beyond.seq} lies beyond the chain head (seq ${now.lastSeq}): a row was inserted after the end`;
      return { ok: false, checked: report.checked, first_bad_seq: beyond.seq, reason };
    }
    return report;
  }

  /** The organization's Merkle tree: leaf i is the entry with seq i + 1. */
  async function tree(orgId: string) {
    const leaves = async (from: number, to: number) => {
      const entries = await store.hashesBySeq(orgId, from, to - from);
      return entries.map((e, i) => {
        if (e.seq !== from + i + 1) throw new Error(`entry seq ${from + i + 1} is missing from the stored chain`);
        return leafHash(e.hash);
      });
    };
    return createTreeHasher(leaves, await anchors.purgedRange(orgId));
  }

  return { verify, tree };
}

export type IntegrityService = ReturnType<typeof createIntegrityService>;

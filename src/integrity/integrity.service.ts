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
  async function* pages(orgId: string, afterSeq: number) {
    let after = afterSeq;
    for (;;) {
      const page = await store.bySeq(orgId, after, PAGE);
      if (page.length === 0) return;
      yield page;
      after = page[page.length - 1]!.seq;
    }
  }

  /** Walks the chain from the retention anchor (or the genesis) to the stored head. */
  async function verify(orgId: string): Promise<VerifyReport> {
    const start = (await anchors.chainStart(orgId)) ?? GENESIS;
    return verifyChain(pages(orgId, start.seq), start, await store.head(orgId));
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

import type { EventStore } from '../events/event-store.ts';
import { verifyChain, type VerifyReport } from './chain-verifier.ts';

const PAGE = 2000;

/** Verifies an organization's stored chain end to end. */
export function createIntegrityService({ store }: { store: EventStore }) {
  async function* pages(orgId: string) {
    let after = 0;
    for (;;) {
      const page = await store.bySeq(orgId, after, PAGE);
      if (page.length === 0) return;
      yield page;
      after = page[page.length - 1]!.seq;
    }
  }

  async function verify(orgId: string): Promise<VerifyReport> {
    return verifyChain(pages(orgId), undefined, await store.head(orgId));
  }

  return { verify };
}

export type IntegrityService = ReturnType<typeof createIntegrityService>;

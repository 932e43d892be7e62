import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { changedFields } from '../events/changes.ts';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../access/principal.ts';
import type { SelfAudit } from '../access/self-audit.ts';
import type { Database } from '../db/database.ts';
import { inTransaction } from '../db/unit-of-work.ts';
import type { ChainStart } from '../integrity/chain-verifier.ts';
import { emptyRange, type CompactRange } from '../integrity/merkle-tree.ts';
import { createRetentionRepo, type RetentionSettings } from './retention.repo.ts';

const DAY_MS = 86_400_000;
/** Entries deleted per transaction: short enough that ingest never waits long for the write lock. */
const PURGE_BATCH = 1000;

export interface PurgeResult {
  org_id: string;
  purged: number;
  from_seq: number | null;
  to_seq: number | null;
  skipped?: 'legal_hold' | 'forever';
}

/** Retention settings per organization, and the purge that enforces them. */
export function createRetentionService(deps: { database: Database; selfAudit: SelfAudit; batchSize?: number }) {
  const repo = createRetentionRepo({ database: deps.database });
  const batchSize = deps.batchSize ?? PURGE_BATCH;

  async function update(
    orgId: string,
    next: { retention_days: number | null; legal_hold?: boolean },
    actor: Principal['actor'],
    request?: FastifyRequest,
  ): Promise<RetentionSettings> {
    return inTransaction(deps.database.db, async (tx) => {
      const old = await repo.settings(orgId, tx);
      const value: RetentionSettings = { retention_days: next.retention_days, legal_hold: next.legal_hold ?? old.legal_hold };
      await repo.saveSettings(orgId, value, tx);
      const event = {
        type: 'retention.updated',
        action: 'update retention settings',
        target: { type: 'organization', id: orgId },
        metadata: { old, new: value, changes: changedFields(old, value) },
      };
      await deps.selfAudit(orgId, actor, event, request, tx);
      return value;
    });
  }

  /** Deletes the organization's entries older than its retention period, in bounded batches. */
  async function run(orgId: string, now = Date.now()): Promise<PurgeResult> {
    const settings = await repo.settings(orgId);
    if (settings.legal_hold) return { org_id: orgId, purged: 0, from_seq: null, to_seq: null, skipped: 'legal_hold' };
    if (settings.retention_days === null) return { org_id: orgId, purged: 0, from_seq: null, to_seq: null, skipped: 'forever' };
    const cutoffMs = now - settings.retention_days * DAY_MS;
    let from: number | null = null;
    let to: number | null = null;
    let count = 0;
    for (;;) {
      const batch = await repo.purgeBatch(orgId, cutoffMs, batchSize);
      if (!batch) break;
      // The index is derived data: a pk left behind by a crash here only costs a wasted lookup.
      await deps.database.search.remove(orgId, batch.removed);
      from ??= batch.fromSeq;
      to = batch.toSeq;
      count += batch.pks.length;
      if (batch.pks.length < batchSize) break;
      await yieldToEventLoop();
    }
    if (count > 0) {
      await deps.selfAudit(orgId, { id: 'auditum', type: 'system' }, { type: 'retention.purged', action: 'purge entries past retention', target: { type: 'organization', id: orgId }, metadata: { from_seq: from, to_seq: to, count } });
    }
    return { org_id: orgId, purged: count, from_seq: from, to_seq: to };
  }

  /** Where chain verification starts: the last purged entry, or the genesis. */
  async function chainStart(orgId: string): Promise<ChainStart | undefined> {
    const a = await repo.anchor(orgId);
    return a ? { seq: a.seq, hash: a.hash } : undefined;
  }

  /** The Merkle compact range of the purged prefix (empty when nothing was purged). */
  async function purgedRange(orgId: string): Promise<CompactRange> {
    return (await repo.anchor(orgId))?.frontier ?? emptyRange();
  }

  async function status(orgId: string) {
    const [settings, anchor] = await Promise.all([repo.settings(orgId), repo.anchor(orgId)]);
    return { ...settings, purged_through_seq: anchor?.seq ?? 0, last_purge_at: anchor ? new Date(anchor.purgedAt).toISOString() : null };
  }

  return { status, update, run, chainStart, purgedRange };
}

export type RetentionService = ReturnType<typeof createRetentionService>;

import type { RemovedEntry } from '../db/search-index.ts';
import type { Database } from '../db/database.ts';
import { inTransaction, type Executor } from '../db/unit-of-work.ts';
import { PK_SLOTS } from '../db/event-keys.ts';
import { extendRange, leafHash, type CompactRange } from '../integrity/merkle-tree.ts';

export const DEFAULT_RETENTION_DAYS = 365;

export interface RetentionSettings {
  retention_days: number | null;
  legal_hold: boolean;
}

export interface RetentionAnchor {
  seq: number;
  hash: string;
  frontier: CompactRange;
  purgedAt: number;
}

export interface PurgedBatch {
  pks: number[];
  /** The purged entries as the search index counts them. */
  removed: RemovedEntry[];
  fromSeq: number;
  toSeq: number;
}

/**
 * retention_settings and retention_anchors, and the one statement in Auditum that deletes
 * entries. The delete lives here rather than in the event store because it must commit in the
 * same transaction as the anchor that replaces the deleted rows as the chain's starting point.
 */
export function createRetentionRepo({ database }: { database: Database }) {
  const { db } = database;

  async function settings(orgId: string, tx: Executor = db): Promise<RetentionSettings> {
    const row = await tx.selectFrom('retention_settings').select(['retention_days', 'legal_hold']).where('org_id', '=', orgId).executeTakeFirst();
    return row ? { retention_days: row.retention_days, legal_hold: row.legal_hold === 1 } : { retention_days: DEFAULT_RETENTION_DAYS, legal_hold: false };
  }

  async function saveSettings(orgId: string, value: RetentionSettings, tx: Executor = db): Promise<void> {
    const row = { retention_days: value.retention_days, legal_hold: value.legal_hold ? 1 : 0, updated_at: Date.now() };
    await tx
      .insertInto('retention_settings')
      .values({ org_id: orgId, ...row })
      .onConflict((oc) => oc.column('org_id').doUpdateSet(row))
      .execute();
  }

  async function anchor(orgId: string): Promise<RetentionAnchor | undefined> {
    const row = await db.selectFrom('retention_anchors').selectAll().where('org_id', '=', orgId).executeTakeFirst();
    if (!row) return undefined;
    const nodes = (JSON.parse(row.merkle_frontier) as string[]).map((h) => Buffer.from(h, 'hex'));
    return { seq: Number(row.seq), hash: row.hash, frontier: { size: Number(row.seq), nodes }, purgedAt: Number(row.purged_at) };
  }

  /**
   * Deletes, in one transaction, up to `limit` of the organization's oldest entries by seq,
   * stopping at the first whose time-ordered key is not below `cutoffMs`, and moves the anchor
   * to the last one deleted. Only a seq prefix is ever removed: an entry with a back-dated
   * occurred_at that arrived after newer ones waits until everything before it may go, so the
   * chain stays contiguous. Returns undefined when there is nothing to delete.
   */
  async function purgeBatch(orgId: string, cutoffMs: number, limit: number): Promise<PurgedBatch | undefined> {
    const cutoffPk = cutoffMs * PK_SLOTS;
    return inTransaction(db, async (trx) => {
      const current = await trx.selectFrom('retention_anchors').selectAll().where('org_id', '=', orgId).executeTakeFirst();
      const afterSeq = current ? Number(current.seq) : 0;
      const rows = await trx
        .selectFrom('events')
        .select(['pk', 'seq', 'hash', 'type', 'category', 'result', 'occurred_at'])
        .where('org_id', '=', orgId)
        .where('seq', '>', afterSeq)
        .orderBy('seq')
        .limit(limit)
        .execute();
      const doomed: typeof rows = [];
      // A gap in seq means the table was tampered with: stop there rather than destroy the evidence.
      for (const row of rows) {
        if (row.pk >= cutoffPk || row.seq !== afterSeq + doomed.length + 1) break;
        doomed.push(row);
      }
      if (doomed.length === 0) return undefined;
      const first = doomed[0]!;
      const last = doomed[doomed.length - 1]!;
      const frontier = extendRange(
        { size: afterSeq, nodes: current ? (JSON.parse(current.merkle_frontier) as string[]).map((h) => Buffer.from(h, 'hex')) : [] },
        doomed.map((r) => leafHash(r.hash)),
      );
      const anchorRow = { seq: last.seq, hash: last.hash, merkle_frontier: JSON.stringify(frontier.nodes.map((n) => n.toString('hex'))), purged_at: Date.now() };
      await trx
        .insertInto('retention_anchors')
        .values({ org_id: orgId, ...anchorRow })
        .onConflict((oc) => oc.column('org_id').doUpdateSet(anchorRow))
        .execute();
      await trx
        .deleteFrom('events')
        .where('org_id', '=', orgId)
        .where('seq', '>=', first.seq)
        .where('seq', '<=', last.seq)
        .where('pk', '<', cutoffPk)
        .execute();
      const removed = doomed.map((r) => ({ pk: r.pk, type: r.type, category: r.category, result: r.result, occurred_at: r.occurred_at }));
      return { pks: doomed.map((r) => r.pk), removed, fromSeq: first.seq, toSeq: last.seq };
    });
  }

  return { settings, saveSettings, anchor, purgeBatch };
}

export type RetentionRepo = ReturnType<typeof createRetentionRepo>;

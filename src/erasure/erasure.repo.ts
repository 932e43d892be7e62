import type { Database } from '../db/database.ts';
import type { Executor } from '../db/unit-of-work.ts';

export const ERASURE_STATUSES = ['queued', 'running', 'completed', 'failed'] as const;
export type ErasureStatus = (typeof ERASURE_STATUSES)[number];

/** What an erasure found or did (JSON in `result`). */
export interface ErasureResult {
  /** Entries with fields to erase (erased, once completed and not a dry run). */
  entries: number;
  /** Per field path, in how many entries. */
  fields: Record<string, number>;
  /** Entries under hash version 1 that hold the subject: never erased (README, Erasure). */
  legacy_entries: number;
  first_seq: number | null;
  last_seq: number | null;
  /** Finished exports expired because they may hold the subject's data. */
  exports_expired: number;
}

/** The rows this module owns (migration 0017-erasure). */
export interface ErasuresTable {
  id: string;
  org_id: string;
  status: ErasureStatus;
  dry_run: number;
  subject_kind: string;
  /** The subject in clear while the job needs it; null once it has finished. */
  subject_value: string | null;
  /** hex HMAC-SHA256 of the subject under a server key: what the log keeps. */
  subject_hash: string;
  from_ms: number | null;
  to_ms: number | null;
  reason: string;
  skip_legacy: number;
  /** JSON: the actor who asked. */
  requested_by: string;
  /** How far the job has read (seq), of `last_seq`: the chain's head when it was asked. */
  scanned_seq: number;
  last_seq: number;
  result: string;
  error: string | null;
  created_at: number;
  updated_at: number;
}

export type ErasureRow = ErasuresTable;

/** SQL for the erasures table; only the erasure module calls this. */
export function createErasureRepo(database: Database) {
  const db = database.db.withTables<{ erasures: ErasuresTable }>();
  const on = (tx?: Executor) => (tx ? tx.withTables<{ erasures: ErasuresTable }>() : db);

  async function insert(row: ErasureRow, tx?: Executor): Promise<void> {
    await on(tx).insertInto('erasures').values(row).execute();
  }

  async function get(orgId: string, id: string): Promise<ErasureRow | undefined> {
    return db.selectFrom('erasures').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  }

  async function byId(id: string, tx?: Executor): Promise<ErasureRow | undefined> {
    return on(tx).selectFrom('erasures').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async function list(orgId: string, limit: number): Promise<ErasureRow[]> {
    return db.selectFrom('erasures').selectAll().where('org_id', '=', orgId).orderBy('created_at', 'desc').orderBy('id', 'desc')
      .limit(limit).execute();
  }

  async function update(id: string, values: Partial<Omit<ErasureRow, 'id' | 'org_id'>>, tx?: Executor): Promise<void> {
    await on(tx).updateTable('erasures').set({ ...values, updated_at: Date.now() }).where('id', '=', id).execute();
  }

  return { insert, get, byId, list, update };
}

export type ErasureRepo = ReturnType<typeof createErasureRepo>;

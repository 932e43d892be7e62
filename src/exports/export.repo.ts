import type { Database } from '../db/database.ts';
import type { Executor } from '../db/unit-of-work.ts';
import type { ExportFormat, ExportOrder, ExportStatus } from './export-view.schema.ts';

export { EXPORT_FORMATS, EXPORT_ORDERS, EXPORT_STATUSES, type ExportFormat, type ExportOrder, type ExportStatus } from './export-view.schema.ts';


/** The rows this module owns (migration 0006-exports). */
export interface ExportsTable {
  id: string;
  org_id: string;
  name: string;
  format: ExportFormat;
  /** time: newest first by occurred_at; chain: by seq (0015). */
  order_by: ExportOrder;
  /** JSON: the resolved EventFilter (absolute times), so every attempt selects the same rows. */
  filter: string;
  /** The organization's last seq when the export was queued: later entries are never included. */
  through_seq: number;
  status: ExportStatus;
  rows_written: number;
  /** 0..1: how far through the seq range the export has read. */
  progress: number;
  size_bytes: number | null;
  error: string | null;
  /** JSON: the actor who queued it. */
  created_by: string;
  created_at: number;
  started_at: number | null;
  completed_at: number | null;
  expires_at: number | null;
  updated_at: number;
}

export type ExportRow = ExportsTable;
const ACTIVE: ExportStatus[] = ['queued', 'running'];

/** SQL for the exports table; only the exports module calls this. */
export function createExportRepo(database: Database) {
  const db = database.db.withTables<{ exports: ExportsTable }>();

  async function insert(row: ExportRow, tx?: Executor): Promise<void> {
    await (tx ? tx.withTables<{ exports: ExportsTable }>() : db).insertInto('exports').values(row).execute();
  }

  async function get(orgId: string, id: string): Promise<ExportRow | undefined> {
    return db.selectFrom('exports').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  }

  /** For the job handler, which knows only the id. */
  async function byId(id: string): Promise<ExportRow | undefined> {
    return db.selectFrom('exports').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async function list(orgId: string, limit: number): Promise<ExportRow[]> {
    return db.selectFrom('exports').selectAll().where('org_id', '=', orgId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  }

  /** An attempt starts over: counters reset. False when the export is no longer queued or running (cancelled, removed). */
  async function start(id: string, now = Date.now()): Promise<boolean> {
    const result = await db
      .updateTable('exports')
      .set({ status: 'running', rows_written: 0, progress: 0, size_bytes: null, started_at: now, updated_at: now })
      .where('id', '=', id)
      .where('status', 'in', ACTIVE)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Records progress; false when the export was cancelled or removed meanwhile (the handler then stops). */
  async function progress(id: string, rowsWritten: number, progress: number, now = Date.now()): Promise<boolean> {
    const result = await db
      .updateTable('exports')
      .set({ rows_written: rowsWritten, progress, updated_at: now })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async function complete(id: string, rowsWritten: number, sizeBytes: number, expiresAt: number, now = Date.now()): Promise<boolean> {
    const result = await db
      .updateTable('exports')
      .set({ status: 'completed', rows_written: rowsWritten, progress: 1, size_bytes: sizeBytes, error: null, completed_at: now, expires_at: expiresAt, updated_at: now })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** A failed attempt: `final` marks the export failed, otherwise it waits queued for the retry. */
  async function attemptFailed(id: string, message: string, final: boolean, now = Date.now()): Promise<void> {
    await db
      .updateTable('exports')
      .set({ status: final ? 'failed' : 'queued', error: message.slice(0, 1000), ...(final ? { completed_at: now } : {}), updated_at: now })
      .where('id', '=', id)
      .where('status', 'in', ACTIVE)
      .execute();
  }

  /** Cancels a queued or running export; false when it had already finished. */
  async function cancel(orgId: string, id: string, now = Date.now()): Promise<boolean> {
    const result = await db
      .updateTable('exports')
      .set({ status: 'cancelled', completed_at: now, updated_at: now })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('status', 'in', ACTIVE)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async function remove(orgId: string, id: string): Promise<void> {
    await db.deleteFrom('exports').where('org_id', '=', orgId).where('id', '=', id).execute();
  }

  /** Completed exports whose file is past its expiry time. */
  async function expiredBy(now: number, limit: number): Promise<ExportRow[]> {
    return db.selectFrom('exports').selectAll().where('status', '=', 'completed').where('expires_at', '<=', now).limit(limit).execute();
  }

  async function markExpired(id: string, now = Date.now()): Promise<void> {
    await db.updateTable('exports').set({ status: 'expired', updated_at: now }).where('id', '=', id).where('status', '=', 'completed').execute();
  }

  /** The organization's exports queued at or after `sinceMs` that are queued, running or completed (erasure). */
  async function liveSince(orgId: string, sinceMs: number): Promise<ExportRow[]> {
    return db.selectFrom('exports').selectAll().where('org_id', '=', orgId).where('created_at', '>=', sinceMs)
      .where('status', 'in', [...ACTIVE, 'completed']).execute();
  }

  /** Exports that say queued or running, for the start-up check against their jobs. */
  async function active(): Promise<ExportRow[]> {
    return db.selectFrom('exports').selectAll().where('status', 'in', ACTIVE).execute();
  }

  return { insert, get, byId, list, start, progress, complete, attemptFailed, cancel, remove, expiredBy, markExpired, liveSince, active };
}

export type ExportRepo = ReturnType<typeof createExportRepo>;

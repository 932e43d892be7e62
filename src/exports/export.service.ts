import fs from 'node:fs';
import type { FastifyRequest } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import type { Principal } from '../access/principal.ts';
import type { SelfAudit } from '../access/self-audit.ts';
import { inTransaction, type Executor } from '../db/unit-of-work.ts';
import { AppError, ConflictError, NotFoundError } from '../errors.ts';
import type { EventFilter } from '../events/event-query.ts';
import type { EventStore } from '../events/event-store.ts';
import type { JobQueue } from '../jobs/job-queue.ts';
import { toEventFilter } from '../query/event-filter.schemas.ts';
import { EXPORT_JOB_KIND, type ExportJobPayload } from './export-job.ts';
import { contentDisposition, downloadFileName, type ExportFiles } from './export-files.ts';
import type { ExportRepo, ExportRow } from './export.repo.ts';
import { defaultOrder, filterView, type CreateExportBody, type ExportView } from './export.schemas.ts';
import { CONTENT_TYPES } from './export-writer.ts';

/** How many exports GET /v1/exports lists (newest first). */
export const LIST_LIMIT = 100;
/** Attempts per export before it is marked failed. */
const MAX_ATTEMPTS = 3;

export interface ExportServiceDeps {
  db: Executor;
  repo: ExportRepo;
  jobs: JobQueue;
  store: EventStore;
  files: ExportFiles;
  selfAudit: SelfAudit;
}

export class GoneError extends AppError {
  constructor(message: string) {
    super(410, 'gone', message);
  }
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function toView(row: ExportRow): ExportView {
  const createdBy = JSON.parse(row.created_by) as ExportView['created_by'];
  return {
    id: row.id,
    name: row.name,
    format: row.format,
    order: row.order_by,
    status: row.status,
    filter: filterView(JSON.parse(row.filter) as EventFilter),
    through_seq: row.through_seq,
    rows_written: row.rows_written,
    progress: row.progress,
    size_bytes: row.size_bytes,
    error: row.error,
    created_by: createdBy,
    created_at: iso(row.created_at)!,
    started_at: iso(row.started_at),
    completed_at: iso(row.completed_at),
    expires_at: iso(row.expires_at),
    download_url: row.status === 'completed' ? `/v1/exports/${row.id}/download` : null,
  };
}

/** Queues, lists, serves and removes an organization's exports; the files are written by export-job.ts. */
export function createExportService(deps: ExportServiceDeps) {
  const { db, repo, jobs, store, files, selfAudit } = deps;

  async function found(orgId: string, id: string): Promise<ExportRow> {
    const row = await repo.get(orgId, id);
    if (!row) throw new NotFoundError('export');
    return row;
  }

  /**
   * Queues an export. A relative range becomes absolute times now, and the chain's current
   * last seq bounds it, so every attempt (after a crash or retry) writes exactly the same rows.
   */
  async function create(
    orgId: string,
    actor: Principal['actor'],
    body: CreateExportBody,
    request?: FastifyRequest,
    now = Date.now(),
  ): Promise<ExportView> {
    const { name, format, order, ...filterQuery } = body;
    const filter = toEventFilter(filterQuery, now);
    const { lastSeq } = await store.head(orgId);
    const row: ExportRow = {
      id: uuidv7(),
      org_id: orgId,
      name,
      format,
      order_by: order ?? defaultOrder(format),
      filter: JSON.stringify(filter),
      through_seq: lastSeq,
      status: 'queued',
      rows_written: 0,
      progress: 0,
      size_bytes: null,
      error: null,
      created_by: JSON.stringify({ id: actor.id, type: actor.type, ...(actor.email ? { email: actor.email } : {}) }),
      created_at: now,
      started_at: null,
      completed_at: null,
      expires_at: null,
      updated_at: now,
    };
    const view = toView(row);
    const event = {
      type: 'export.created',
      action: `Queued the ${format.toUpperCase()} export "${name}"`,
      target: { type: 'export', id: row.id, name },
      metadata: { format, order: row.order_by, filter: view.filter, through_seq: lastSeq },
    };
    const payload: ExportJobPayload = { exportId: row.id };
    // The record, the export and its job commit together: never one without the others.
    await inTransaction(db, async (tx) => {
      await selfAudit(orgId, actor, event, request, tx);
      await repo.insert(row, tx);
      await jobs.enqueue({ id: row.id, kind: EXPORT_JOB_KIND, orgId, payload, maxAttempts: MAX_ATTEMPTS }, tx);
    });
    return view;
  }

  async function list(orgId: string): Promise<ExportView[]> {
    return (await repo.list(orgId, LIST_LIMIT)).map(toView);
  }

  async function get(orgId: string, id: string): Promise<ExportView> {
    return toView(await found(orgId, id));
  }

  /**
   * Opens a completed export's file for download and records `export.downloaded` first (no
   * record, no file). An expired export answers 410, one not finished 409.
   */
  async function download(orgId: string, id: string, actor: Principal['actor'], request?: FastifyRequest) {
    const row = await found(orgId, id);
    if (row.status === 'expired') throw new GoneError(`the export "${row.name}" expired on ${iso(row.expires_at)} and its file was deleted; queue it again`);
    if (row.status !== 'completed') throw new ConflictError(`the export is ${row.status}; it can be downloaded once it is completed`);
    const file = files.final(row.org_id, row.id, row.format);
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(file, 'r');
    } catch {
      throw new GoneError('the export file is no longer there; queue the export again');
    }
    const size = (await handle.stat()).size;
    const fileName = downloadFileName(row.name, row.format, row.order_by);
    try {
      await selfAudit(orgId, actor, {
        type: 'export.downloaded',
        action: `Downloaded the ${row.format.toUpperCase()} export "${row.name}"`,
        target: { type: 'export', id: row.id, name: row.name },
        metadata: { format: row.format, rows: row.rows_written, size_bytes: size, file_name: fileName },
      }, request);
    } catch (error) {
      await handle.close();
      throw error;
    }
    return {
      stream: handle.createReadStream(),
      size,
      contentType: CONTENT_TYPES[row.format],
      contentDisposition: contentDisposition(fileName),
    };
  }

  /** Cancels a queued or running export (it stays listed as cancelled); removes a finished one and its file. */
  async function remove(orgId: string, id: string): Promise<{ cancelled: ExportView } | { removed: true }> {
    const row = await found(orgId, id);
    if (await repo.cancel(orgId, id)) {
      await jobs.cancel(id);
      // A running handler sees the cancellation at its next step and deletes its partial file.
      return { cancelled: toView((await repo.get(orgId, id))!) };
    }
    await files.remove(row.org_id, row.id, row.format);
    await repo.remove(orgId, id);
    return { removed: true };
  }

  /** Deletes the files of exports past their expiry time and marks them expired; returns how many. */
  async function sweep(now = Date.now()): Promise<number> {
    let count = 0;
    for (;;) {
      const due = await repo.expiredBy(now, 100);
      for (const row of due) {
        await files.remove(row.org_id, row.id, row.format);
        await repo.markExpired(row.id, now);
      }
      count += due.length;
      if (due.length < 100) return count;
    }
  }

  /**
   * Exports that may hold entries an erasure rewrote, those queued at or after `sinceMs` (the
   * first rewritten entry's arrival): a finished one's file is deleted and it is marked expired,
   * an unfinished one is cancelled. Returns how many.
   */
  async function expireSince(orgId: string, sinceMs: number, now = Date.now()): Promise<number> {
    let count = 0;
    for (const row of await repo.liveSince(orgId, sinceMs)) {
      if (row.status === 'completed') {
        await files.remove(row.org_id, row.id, row.format);
        await repo.markExpired(row.id, now);
        count += 1;
      } else if (await repo.cancel(orgId, row.id, now)) {
        await jobs.cancel(row.id);
        count += 1;
      }
    }
    return count;
  }

  /**
   * At start-up: an export that says queued or running must have a job that will run it; if
   * its job is gone or finished (never expected, but a promise), it is marked failed instead
   * of staying "running" forever.
   */
  async function reconcile(): Promise<number> {
    let fixed = 0;
    for (const row of await repo.active()) {
      const job = await jobs.get(row.id);
      if (job && (job.state === 'queued' || job.state === 'running')) continue;
      await repo.attemptFailed(row.id, job?.lastError ?? 'the export job was lost; queue the export again', true);
      fixed += 1;
    }
    return fixed;
  }

  return { create, list, get, download, remove, sweep, expireSince, reconcile };
}

export type ExportService = ReturnType<typeof createExportService>;

import fs from 'node:fs';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import type { EventFilter, EventQuery } from '../events/event-query.ts';
import type { EventStore } from '../events/event-store.ts';
import { failureReason } from '../errors.ts';
import { PermanentJobError, type JobHandler } from '../jobs/job-runner.ts';
import type { Job } from '../jobs/job.repo.ts';
import type { ExportFiles } from './export-files.ts';
import type { ExportRepo, ExportRow } from './export.repo.ts';
import { filterView } from './export.schemas.ts';
import type { Entry } from '../events/event.schemas.ts';
import { openExportWriter, type ExportInfo, type ExportWriter } from './export-writer.ts';

export const EXPORT_JOB_KIND = 'export';

/** Seqs read per step: each step's query is bounded by this, whatever the filter, so the server stays responsive. */
export const SEQ_WINDOW = 250;

/** Entries read per step of a time-ordered export. */
const TIME_PAGE = 500;

/** How often progress (rows written) is recorded while an export runs. */
const PROGRESS_EVERY_MS = 250;

export interface ExportJobPayload {
  exportId: string;
}

export interface ExportJobDeps {
  repo: ExportRepo;
  query: EventQuery;
  store: EventStore;
  files: ExportFiles;
  ttlMs: number;
  logger: FastifyBaseLogger;
}

/** The export was cancelled or removed while it ran: not an error, the job just stops. */
class ExportGone extends Error {}

/**
 * The background handler for one export. Every attempt writes the file from the start to a
 * `.partial` name and renames it when complete, so an attempt cut short (crash, restart)
 * leaves nothing a download could pick up, and the next attempt simply starts over. Entries
 * are read in the export's order (chainOrder, timeOrder), never past the seq recorded when it was queued.
 */
export function createExportJobHandler(deps: ExportJobDeps): JobHandler {
  const { repo, query, store, files, logger } = deps;

  return async (job, { signal }) => {
    const { exportId } = job.payload as ExportJobPayload;
    const row = await repo.byId(exportId);
    if (!row) return; // removed before it ran
    if (!(await repo.start(exportId))) return; // already finished, or cancelled
    const filter = JSON.parse(row.filter) as EventFilter;
    let writer: ExportWriter | undefined;
    try {
      const paths = await files.prepare(row.org_id, row.id, row.format);
      await fs.promises.rm(paths.partial, { force: true });
      writer = openExportWriter(row.format, paths.partial, exportInfo(row, filter));
      let rows = 0;
      let reported = 0;
      for await (const step of (row.order_by === 'time' ? timeOrder : chainOrder)(deps, row, filter)) {
        if (signal.aborted) throw signal.reason ?? new Error('aborted');
        for (const entry of step.entries) await writer.write(entry);
        rows += step.entries.length;
        // Progress is a durable write; a few a second is plenty, and it is also where a cancellation is noticed.
        if (Date.now() - reported >= PROGRESS_EVERY_MS || step.progress >= 1) {
          reported = Date.now();
          if (!(await repo.progress(exportId, rows, step.progress))) throw new ExportGone();
        }
        // Let requests (ingest, queries) in between steps.
        await yieldToLoop();
      }
      await writer.end();
      const size = (await fs.promises.stat(paths.partial)).size;
      await fs.promises.rename(paths.partial, paths.final);
      if (!(await repo.complete(exportId, rows, size, Date.now() + deps.ttlMs))) throw new ExportGone();
      logger.info({ exportId, orgId: row.org_id, format: row.format, rows, size }, 'export completed');
    } catch (error) {
      writer?.destroy();
      if (error instanceof ExportGone) {
        await files.remove(row.org_id, row.id, row.format);
        return;
      }
      // Cleaning up must not replace the error that stopped the export (a read-only disk fails both).
      await fs.promises.rm(files.partial(row.org_id, row.id, row.format), { force: true }).catch((cleanup: unknown) => {
        logger.warn({ err: cleanup, exportId }, 'could not delete a partial export file');
      });
      // The runner is stopping or the job was cancelled: leave the row for the next start (or as cancelled).
      if (signal.aborted) throw error;
      const final = error instanceof PermanentJobError || job.attempts >= job.maxAttempts;
      await recordFailure(repo, exportId, failureReason(error), final, logger);
      throw error;
    }
  };
}

interface Step {
  entries: Entry[];
  /** 0..1: how far through the export this step reaches. */
  progress: number;
}
type Steps = (deps: ExportJobDeps, row: ExportRow, filter: EventFilter) => AsyncGenerator<Step>;

/** By seq, SEQ_WINDOW seqs a step, up to the seq recorded when it was queued. */
const chainOrder: Steps = async function* ({ query, store }, row, filter) {
  const first = (await store.bySeq(row.org_id, 0, 1))[0]?.seq ?? row.through_seq + 1;
  const startAfter = Math.min(first - 1, row.through_seq);
  const span = Math.max(1, row.through_seq - startAfter);
  for (let after = startAfter; after < row.through_seq; ) {
    const through = Math.min(after + SEQ_WINDOW, row.through_seq);
    const entries = await query.scan(row.org_id, filter, after, through);
    after = through;
    yield { entries, progress: (after - startAfter) / span };
  }
};

/**
 * Newest first by occurred_at, a page of the filter's matches a step (the same reads as the Audit
 * Logs page), leaving out entries recorded after it was queued. Progress is by time, from the
 * newest match down to the range's start (or the organization's first entry).
 */
const timeOrder: Steps = async function* ({ query, store }, row, filter) {
  const oldest = filter.from ?? Date.parse((await store.bySeq(row.org_id, 0, 1))[0]?.occurred_at ?? '');
  let newest: number | undefined;
  for (let after: number | undefined; ; ) {
    const page = await query.list(row.org_id, filter, TIME_PAGE, after);
    const entries = page.entries.filter((entry) => entry.seq <= row.through_seq);
    const last = page.entries[page.entries.length - 1];
    newest ??= page.entries[0] ? Date.parse(page.entries[0].occurred_at) : undefined;
    const done = page.next === null;
    const span = newest === undefined || !Number.isFinite(oldest) ? 0 : newest - oldest;
    const covered = last && newest !== undefined && span > 0 ? (newest - Date.parse(last.occurred_at)) / span : 0;
    yield { entries, progress: done ? 1 : Math.min(0.99, Math.max(0, covered)) };
    if (done) return;
    after = page.next!;
  }
};

/** What the file says about itself where the format has room (the Excel workbook's About sheet). */
function exportInfo(row: ExportRow, filter: EventFilter): ExportInfo {
  return { name: row.name, order: row.order_by, filter: filterView(filter), throughSeq: row.through_seq, createdAt: row.created_at };
}

/**
 * Marks an export attempt failed (queued again, or failed for good with the reason). A failure
 * to record it is logged: the job runner's onFailed hook (exportFailedHook) records the last one again.
 */
async function recordFailure(repo: ExportRepo, exportId: string, reason: string, final: boolean, logger: FastifyBaseLogger): Promise<void> {
  try {
    await repo.attemptFailed(exportId, reason, final);
  } catch (error) {
    logger.error({ err: error, exportId }, 'could not record a failed export attempt');
  }
}

/** For the job runner: an export whose job failed for good is failed too, with the reason, whatever stopped the handler. */
export function exportFailedHook(repo: ExportRepo) {
  return async (job: Job<ExportJobPayload>, reason: string): Promise<void> => {
    await repo.attemptFailed(job.payload.exportId, reason, true);
  };
}

import fs from 'node:fs';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import type { EventFilter, EventQuery } from '../events/event-query.ts';
import type { EventStore } from '../events/event-store.ts';
import { failureReason } from '../errors.ts';
import { PermanentJobError, type JobHandler } from '../jobs/job-runner.ts';
import type { Job } from '../jobs/job.repo.ts';
import type { ExportFiles } from './export-files.ts';
import type { ExportRepo } from './export.repo.ts';
import { openExportWriter, type ExportWriter } from './export-writer.ts';

export const EXPORT_JOB_KIND = 'export';

/** Seqs read per step: each step's query is bounded by this, whatever the filter, so the server stays responsive. */
export const SEQ_WINDOW = 250;

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
 * are read in seq order, SEQ_WINDOW seqs at a time, up to the seq recorded when it was queued.
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
      writer = openExportWriter(row.format, paths.partial);
      const first = (await store.bySeq(row.org_id, 0, 1))[0]?.seq ?? row.through_seq + 1;
      const startAfter = Math.min(first - 1, row.through_seq);
      const span = Math.max(1, row.through_seq - startAfter);
      let after = startAfter;
      let rows = 0;
      let reported = 0;
      while (after < row.through_seq) {
        if (signal.aborted) throw signal.reason ?? new Error('aborted');
        const through = Math.min(after + SEQ_WINDOW, row.through_seq);
        const entries = await query.scan(row.org_id, filter, after, through);
        for (const entry of entries) await writer.write(entry);
        rows += entries.length;
        after = through;
        // Progress is a durable write; a few a second is plenty, and it is also where a cancellation is noticed.
        if (Date.now() - reported >= PROGRESS_EVERY_MS || after >= row.through_seq) {
          reported = Date.now();
          if (!(await repo.progress(exportId, rows, (after - startAfter) / span))) throw new ExportGone();
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

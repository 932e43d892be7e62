import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import type { AdminActor } from '../access/self-audit.ts';
import { randomToken } from '../access/secrets.ts';
import { exportJobHandler } from '../background.ts';
import type { Config } from '../config.ts';
import { AppError, ValidationError } from '../errors.ts';
import { createLogger } from '../log.ts';
import { startJobRunner } from '../jobs/job-runner.ts';
import type { Services } from '../main.ts';
import type { FilterFlags } from '../query/tail-command.ts';
import { EXPORT_JOB_KIND, exportFailedHook } from './export-job.ts';
import { createExportBodySchema } from './export.schemas.ts';

export interface ExportFlags extends FilterFlags {
  format?: string;
  order?: string;
  name?: string;
  out?: string;
}

/** How often the command reads its export's progress. */
const POLL_MS = 200;

/**
 * `auditum export --org SLUG --format csv|xlsx|jsonl [filters] --out FILE`: queues the export as
 * POST /v1/exports does (recorded as export.created), runs its job here (a server sharing the
 * database may take it instead: jobs are leased), shows progress on a terminal, then writes the
 * file to --out (recorded as export.downloaded). Resolves to the line to print.
 */
export async function runExport(
  s: Services,
  config: Config,
  orgId: string,
  actor: AdminActor,
  flags: ExportFlags,
  progress?: NodeJS.WriteStream,
): Promise<string> {
  if (!flags.out) throw new ValidationError('--out FILE is required: where the export is written');
  const { type, result, actor: who, project, ip, q, range, format, order } = flags;
  const name = flags.name ?? `auditum export ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`;
  // The export body's schema includes the filters of GET /v1/events: one parse, named by flag.
  const parsed = createExportBodySchema.safeParse({ type, result, actor: who, project, ip, q, range, name, format, order });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ValidationError(`--${String(issue.path[0] ?? 'format')}: ${issue.message}`);
  }
  const view = await s.exports.create(orgId, actor, parsed.data);
  // Its own logs stay out of the command's output: warnings only, on stderr.
  const logger = createLogger('warn', pino.destination(2));
  const runner = startJobRunner({
    queue: s.jobs,
    handlers: { [EXPORT_JOB_KIND]: exportJobHandler(s, config, logger) },
    onFailed: { [EXPORT_JOB_KIND]: exportFailedHook(s.exportRepo) },
    onlyIds: [view.id],
    holder: `cli-${randomToken(6)}`,
    leaseMs: config.workLeaseMs,
    logger,
  });
  try {
    let current = view;
    while (current.status === 'queued' || current.status === 'running') {
      progress?.write(`\r${view.format.toUpperCase()} export: ${Math.round(current.progress * 100)}%, ${current.rows_written} rows `);
      await sleep(POLL_MS);
      current = await s.exports.get(orgId, view.id);
    }
    progress?.write('\n');
    if (current.status !== 'completed') {
      const reason = current.error ? `: ${current.error}` : '';
      throw new AppError(409, 'export_failed', `the export ${current.status}${reason}`);
    }
    const file = await s.exports.download(orgId, view.id, actor);
    await pipeline(file.stream, fs.createWriteStream(flags.out));
    return `wrote ${current.rows_written} entries (${file.size} bytes, ${current.order} order) to ${flags.out}`;
  } finally {
    await runner.stop();
  }
}

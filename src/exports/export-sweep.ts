import type { FastifyBaseLogger } from 'fastify';
import type { ScheduledTask } from '../work/schedules.ts';
import type { ExportService } from './export.service.ts';

/** Deletes expired export files every `intervalMs`, on the durable schedule. */
export function exportSweepTask(deps: { exports: ExportService; intervalMs: number; logger: FastifyBaseLogger }): ScheduledTask {
  return {
    name: 'export-sweep',
    intervalMs: deps.intervalMs,
    async run() {
      const expired = await deps.exports.sweep();
      if (expired > 0) deps.logger.info({ expired }, 'deleted expired export files');
    },
  };
}

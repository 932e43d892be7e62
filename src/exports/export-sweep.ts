import type { FastifyBaseLogger } from 'fastify';
import type { ExportService } from './export.service.ts';

/**
 * Deletes expired export files at start and then every `intervalMs`. stop() cancels the timer
 * and waits for a sweep in progress.
 */
export function startExportSweep(deps: { exports: ExportService; intervalMs: number; logger: FastifyBaseLogger }) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  function run() {
    running = deps.exports
      .sweep()
      .then((expired) => {
        if (expired > 0) deps.logger.info({ expired }, 'deleted expired export files');
      })
      .catch((error: unknown) => deps.logger.error({ err: error }, 'export expiry sweep failed; will retry at the next run'))
      .finally(() => {
        if (stopped) return;
        timer = setTimeout(run, deps.intervalMs);
        timer.unref();
      });
  }
  run();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

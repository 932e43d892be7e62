import type { FastifyBaseLogger } from 'fastify';
import type { RetentionService } from './retention.service.ts';

/**
 * Runs the purge for every organization every `intervalMs` (daily by default); the first run
 * is one interval after start. stop() cancels the timer and waits for a run in progress.
 */
export function startRetentionSchedule(deps: { retention: RetentionService; orgIds: () => Promise<string[]>; intervalMs: number; logger: FastifyBaseLogger }) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  async function runAll() {
    for (const orgId of await deps.orgIds()) {
      if (stopped) return;
      try {
        const result = await deps.retention.run(orgId);
        if (result.purged > 0) deps.logger.info(result, 'retention purge');
      } catch (error) {
        deps.logger.error({ err: error, orgId }, 'retention purge failed; will retry at the next run');
      }
    }
  }

  function schedule() {
    timer = setTimeout(() => {
      running = runAll()
        .catch((error: unknown) => deps.logger.error({ err: error }, 'retention run failed; will retry at the next run'))
        .finally(() => {
          if (!stopped) schedule();
        });
    }, deps.intervalMs);
  }
  schedule();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

import type { FastifyBaseLogger } from 'fastify';
import type { ScheduledTask } from '../work/schedules.ts';
import type { RetentionService } from './retention.service.ts';

/**
 * The retention purge for every organization, every `intervalMs` (daily by default), on the
 * durable schedule: due at once on a database that never ran it, whatever the restarts since.
 * One organization's failure does not stop the others; the run then counts as failed and is retried sooner.
 */
export function retentionTask(deps: {
  retention: RetentionService;
  orgIds: () => Promise<string[]>;
  intervalMs: number;
  logger: FastifyBaseLogger;
}): ScheduledTask {
  return {
    name: 'retention',
    intervalMs: deps.intervalMs,
    async run(signal) {
      const failed: string[] = [];
      for (const orgId of await deps.orgIds()) {
        if (signal.aborted) return;
        try {
          const result = await deps.retention.run(orgId);
          if (result.purged > 0) deps.logger.info(result, 'retention purge');
        } catch (error) {
          failed.push(orgId);
          deps.logger.error({ err: error, orgId }, 'retention purge failed; will retry');
        }
      }
      if (failed.length > 0) throw new Error(`the retention purge failed for ${failed.length} organization(s)`);
    },
  };
}

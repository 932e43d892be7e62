import type { FastifyBaseLogger } from 'fastify';
import { failureReason } from '../errors.ts';
import { failedRoundDelayMs } from '../jobs/retry-backoff.ts';
import { createWakeLoop } from '../jobs/wake-loop.ts';
import type { WorkRepo } from './work.repo.ts';

/** A periodic task: run by whichever server claims it when due, every `intervalMs` after its last run. */
export interface ScheduledTask {
  name: string;
  intervalMs: number;
  /** When a database that never ran it first runs it: at once (the default), or one interval later. */
  firstRun?: 'now' | 'after-interval';
  run(signal: AbortSignal): Promise<void>;
}

export interface SchedulesOptions {
  repo: WorkRepo;
  serverId: string;
  tasks: ScheduledTask[];
  logger: FastifyBaseLogger;
  /** How often due schedules are looked for (another server may have moved one). */
  pollMs?: number;
  /** How long a claimed run lasts without renewal; renewed every third of it while the task runs. */
  claimMs?: number;
}

/**
 * Durable schedules (work_schedules.next_run_at): a schedule never run is due at once, and a
 * restart never resets the clock, so a server restarted more often than a task's interval still
 * runs it. With N servers one claims each due run; if it dies, another takes the run over once
 * its claim runs out. A failed run is retried after a shorter delay, with its error recorded.
 */
export function startSchedules(options: SchedulesOptions) {
  const { repo, serverId, tasks, logger } = options;
  const pollMs = options.pollMs ?? 5000;
  const claimMs = options.claimMs ?? 60_000;
  const abort = new AbortController();
  let created = false;

  async function runTask(task: ScheduledTask): Promise<void> {
    const renew = setInterval(() => {
      repo.renewSchedule(task.name, serverId, Date.now() + claimMs).catch((error: unknown) =>
        logger.warn({ err: error, task: task.name }, 'could not renew a scheduled run'));
    }, claimMs / 3);
    let error: string | null = null;
    try {
      await task.run(abort.signal);
    } catch (caught) {
      error = failureReason(caught);
      logger.error({ err: caught, task: task.name }, 'scheduled task failed; will retry');
    } finally {
      clearInterval(renew);
    }
    const now = Date.now();
    const retry = Math.min(task.intervalMs, 5 * 60_000);
    await repo.finishSchedule(task.name, serverId, now, now + (error ? retry : task.intervalMs), error);
  }

  const loop = createWakeLoop(
    async () => {
      if (!created) {
        for (const task of tasks) {
          await repo.ensureSchedule(task.name, Date.now() + (task.firstRun === 'after-interval' ? task.intervalMs : 0));
        }
        created = true;
      }
      for (const task of tasks) {
        if (loop.stopped) break;
        const now = Date.now();
        if (await repo.claimSchedule(task.name, serverId, now, now + claimMs)) await runTask(task);
      }
      // Next due: a schedule another server is running is due again no sooner than its claim ends.
      const now = Date.now();
      const mine = (await repo.schedules()).filter((s) => tasks.some((t) => t.name === s.name));
      const soonest = Math.min(...mine.map((s) => Math.max(s.next_run_at, s.running_until ?? 0)));
      return Math.max(100, Math.min(pollMs, soonest - now));
    },
    (error, failures) => {
      logger.error({ err: error, failures }, 'schedules round failed; will retry');
      return failedRoundDelayMs(failures, pollMs);
    },
  );
  loop.start();

  return {
    /** Stops claiming; a run in progress is told to stop (its signal) and waited for. */
    async stop() {
      abort.abort();
      await loop.stop();
    },
  };
}

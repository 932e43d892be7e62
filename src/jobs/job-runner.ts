import type { FastifyBaseLogger } from 'fastify';
import { failureReason } from '../errors.ts';
import type { Job } from './job.repo.ts';
import type { JobQueue } from './job-queue.ts';
import { failedRoundDelayMs, retryDelayMs } from './retry-backoff.ts';
import { createWakeLoop } from './wake-loop.ts';

/** Thrown by a handler when trying again cannot help (bad input, a target that is gone): the job fails at once. */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentJobError';
  }
}

/** Thrown by a handler to be retried after a delay it knows (e.g. a Retry-After header), instead of the computed backoff. */
export class RetryLaterError extends Error {
  readonly delayMs: number;
  constructor(message: string, delayMs: number) {
    super(message);
    this.name = 'RetryLaterError';
    this.delayMs = delayMs;
  }
}

export interface JobContext {
  /** Aborted when the job is cancelled or the runner stops; long handlers check it between steps. */
  signal: AbortSignal;
}

export type JobHandler = (job: Job<any>, context: JobContext) => Promise<void>;

export interface JobRunnerOptions {
  queue: JobQueue;
  handlers: Record<string, JobHandler>;
  logger: FastifyBaseLogger;
  /** This server's id (work engine): the jobs it runs are marked with it. */
  holder: string;
  pollIntervalMs?: number;
  /** How long a claim lasts without renewal; the runner renews it every third of this while a handler runs. */
  leaseMs?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /**
   * By kind: called once a job has failed for good, with the reason stored on it, so the module
   * that queued it can record that on its own row (an export becomes failed) whatever stopped the handler.
   */
  onFailed?: Record<string, (job: Job<any>, reason: string) => Promise<void>>;
  /** Only these jobs (a command line running the one it queued), not every job of the kinds. */
  onlyIds?: string[];
}

/**
 * Runs queued jobs one at a time, in run_at order. A job that throws is retried with backoff
 * until its max_attempts, then marked failed with the last error; a process that dies mid-job
 * leaves it "running" with a lease that runs out, and start() puts such jobs back at once.
 */
export function startJobRunner(options: JobRunnerOptions) {
  const { queue, handlers, logger } = options;
  const repo = queue.repo;
  const kinds = Object.keys(handlers);
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const leaseMs = options.leaseMs ?? 60_000;
  const retryBaseMs = options.retryBaseMs ?? 1000;
  const retryMaxMs = options.retryMaxMs ?? 10 * 60_000;
  let current: AbortController | undefined;
  let stopRequested = false;
  const loop = createWakeLoop(
    async () => {
      await drain();
      return pollIntervalMs;
    },
    (error, failures) => {
      const delay = failedRoundDelayMs(failures, pollIntervalMs);
      logger.error({ err: error, failures, retryInMs: delay }, 'job runner round failed; will retry');
      return delay;
    },
  );
  const wake = loop.wake;

  async function runOne(job: Job): Promise<void> {
    const abort = new AbortController();
    current = abort;
    const renew = setInterval(() => {
      repo.extendLease(job.id, options.holder, leaseMs).then(
        (stillRunning) => {
          if (!stillRunning) abort.abort(new Error('job cancelled'));
        },
        (error: unknown) => logger.error({ err: error, jobId: job.id }, 'could not renew job lease'),
      );
    }, Math.max(50, Math.floor(leaseMs / 3)));
    try {
      await handlers[job.kind](job, { signal: abort.signal });
      await repo.finish(job.id, options.holder, 'completed', null);
    } catch (error) {
      const message = failureReason(error);
      // Stopping leaves it running for the next start to release; a cancel already wrote its state.
      if (abort.signal.aborted) return;
      if (error instanceof PermanentJobError || job.attempts >= job.maxAttempts) {
        logger.warn({ jobId: job.id, kind: job.kind, attempts: job.attempts, err: error }, 'job failed');
        await repo.finish(job.id, options.holder, 'failed', message);
        await options.onFailed?.[job.kind]?.(job, message).catch((hookError: unknown) => {
          logger.error({ err: hookError, jobId: job.id, kind: job.kind }, 'could not record a failed job on its owner');
        });
      } else {
        const delay = error instanceof RetryLaterError ? error.delayMs : retryDelayMs({ attempt: job.attempts, baseMs: retryBaseMs, maxMs: retryMaxMs });
        logger.info({ jobId: job.id, kind: job.kind, attempts: job.attempts, delayMs: delay, error: message }, 'job will be retried');
        await repo.retryAt(job.id, options.holder, Date.now() + delay, message);
      }
    } finally {
      clearInterval(renew);
      current = undefined;
    }
  }

  async function drain(): Promise<void> {
    while (!loop.stopped) {
      const job = await repo.claim(kinds, leaseMs, options.holder, options.onlyIds);
      if (!job) return;
      await runOne(job);
    }
  }

  const unsubscribe = queue.onEnqueue((job) => {
    if (kinds.includes(job.kind)) wake();
  });
  const started = repo
    .releaseAll(options.holder)
    .then(
      (released) => {
        if (released > 0) logger.info({ released }, 'resuming jobs left running by a previous process');
      },
      // (A full disk, say.) Their leases run out and claim() takes them then.
      (error: unknown) => logger.error({ err: error }, 'could not release jobs left running by a previous process'),
    )
    .then(() => {
      if (!stopRequested) loop.start();
    });

  return {
    wake,
    /** Stops taking jobs; a job in progress is aborted and left for the next start to resume. */
    async stop() {
      stopRequested = true;
      unsubscribe();
      const stopping = loop.stop();
      current?.abort(new Error('runner stopping'));
      await started;
      await stopping;
    },
  };
}

export type JobRunner = ReturnType<typeof startJobRunner>;

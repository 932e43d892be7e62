import type { Database } from '../db/database.ts';
import { afterCommit, type Executor } from '../db/unit-of-work.ts';
import { createJobRepo, type EnqueueInput, type Job } from './job.repo.ts';

/**
 * The public face of the job queue for other modules: enqueue, look up, cancel. A runner
 * (job-runner.ts) subscribes to hear about new jobs at once instead of waiting for its poll.
 */
export function createJobQueue(database: Database) {
  const repo = createJobRepo(database);
  const listeners = new Set<(job: Job) => void>();

  /** Queues a job; given the caller's transaction, runners hear of it once that commits. */
  async function enqueue(input: EnqueueInput, tx?: Executor): Promise<Job> {
    const job = await repo.enqueue(input, tx);
    afterCommit(tx ?? database.db, () => {
      for (const listener of listeners) listener(job);
    });
    return job;
  }

  function onEnqueue(listener: (job: Job) => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  return { enqueue, onEnqueue, get: repo.get, cancel: repo.cancel, repo };
}

export type JobQueue = ReturnType<typeof createJobQueue>;

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { createJobQueue } from '../../src/jobs/job-queue.ts';
import { PermanentJobError, startJobRunner, type JobHandler } from '../../src/jobs/job-runner.ts';
import { createLogger } from '../../src/log.ts';
import { freshDataDir } from '../helpers/test-app.ts';

const logger = createLogger('silent');
let database: Database;

before(async () => {
  database = await openDatabase({ dataDir: freshDataDir('jobs'), sync: 'normal' });
});
after(async () => database.close());

/** Polls until `check` returns a value, at most ~5 s. */
async function waitFor<T>(check: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 250; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('timed out waiting');
}

const settled = (queue: ReturnType<typeof createJobQueue>, id: string) =>
  waitFor(async () => {
    const job = await queue.get(id);
    return job && ['completed', 'failed', 'cancelled'].includes(job.state) ? job : undefined;
  });

test('a job that fails twice is retried with backoff and then completes', async () => {
  const queue = createJobQueue(database);
  const seen: number[] = [];
  const handler: JobHandler = async (job) => {
    seen.push(job.attempts);
    if (job.attempts < 3) throw new Error(`boom ${job.attempts}`);
  };
  const runner = startJobRunner({ queue, holder: 'server-a', handlers: { flaky: handler }, logger, pollIntervalMs: 10, retryBaseMs: 10, retryMaxMs: 20 });
  const job = await queue.enqueue({ kind: 'flaky', payload: { n: 1 } });
  const done = await settled(queue, job.id);
  await runner.stop();
  assert.equal(done.state, 'completed');
  assert.deepEqual(seen, [1, 2, 3]);
  assert.equal(done.lastError, null);
});

test('a permanent error fails the job at once; running out of attempts fails it with the last error', async () => {
  const queue = createJobQueue(database);
  let calls = 0;
  const runner = startJobRunner({
    holder: 'server-a',
    queue,
    handlers: {
      doomed: async () => {
        calls++;
        throw new PermanentJobError('target is gone');
      },
      tired: async (job) => {
        throw new Error(`attempt ${job.attempts} failed`);
      },
    },
    logger,
    pollIntervalMs: 10,
    retryBaseMs: 5,
    retryMaxMs: 10,
  });
  const doomed = await queue.enqueue({ kind: 'doomed', payload: null });
  const tired = await queue.enqueue({ kind: 'tired', payload: null, maxAttempts: 2 });
  const [a, b] = [await settled(queue, doomed.id), await settled(queue, tired.id)];
  await runner.stop();
  assert.equal(a.state, 'failed');
  assert.equal(a.lastError, 'target is gone');
  assert.equal(calls, 1);
  assert.equal(b.state, 'failed');
  assert.equal(b.attempts, 2);
  assert.equal(b.lastError, 'attempt 2 failed');
});

test('the onFailed hook of its kind hears once, with the stored reason, when a job fails for good', async () => {
  const queue = createJobQueue(database);
  const heard: Array<[string, string]> = [];
  const storageFull = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
  const runner = startJobRunner({
    holder: 'server-a',
    queue,
    handlers: {
      full: async () => {
        throw storageFull;
      },
      fine: async () => {},
    },
    onFailed: {
      full: async (job, reason) => void heard.push([job.id, reason]),
      fine: async (job, reason) => void heard.push([job.id, reason]),
    },
    logger,
    pollIntervalMs: 10,
    retryBaseMs: 5,
    retryMaxMs: 10,
  });
  const doomed = await queue.enqueue({ kind: 'full', payload: null, maxAttempts: 3 });
  const fine = await queue.enqueue({ kind: 'fine', payload: null });
  const [failed, completed] = [await settled(queue, doomed.id), await settled(queue, fine.id)];
  await runner.stop();
  assert.equal(failed.state, 'failed');
  assert.equal(failed.attempts, 3);
  assert.equal(completed.state, 'completed');
  assert.match(failed.lastError!, /^storage is full: .*\(SQLITE_FULL\)$/);
  assert.deepEqual(heard, [[doomed.id, failed.lastError]], 'once, for the failed job only, after its last attempt');
});

test('a job left running by a dead process is resumed by the next runner', async () => {
  const queue = createJobQueue(database);
  const job = await queue.enqueue({ kind: 'resume-me', payload: { step: 'x' } });
  // A runner from a process that then died: the claim is taken, nobody finishes it.
  const claimed = await queue.repo.claim(['resume-me'], 60_000, 'server-a');
  assert.equal(claimed?.id, job.id);
  assert.equal((await queue.get(job.id))?.state, 'running');

  const payloads: unknown[] = [];
  const runner = startJobRunner({ queue, holder: 'server-a', handlers: { 'resume-me': async (j) => void payloads.push(j.payload) }, logger, pollIntervalMs: 10 });
  const done = await settled(queue, job.id);
  await runner.stop();
  assert.equal(done.state, 'completed');
  assert.deepEqual(payloads, [{ step: 'x' }]);
  assert.equal(done.attempts, 2);
});

test('cancelling a running job aborts its signal and it stays cancelled', async () => {
  const queue = createJobQueue(database);
  let aborted = false;
  const runner = startJobRunner({
    holder: 'server-a',
    queue,
    leaseMs: 150,
    pollIntervalMs: 10,
    logger,
    handlers: {
      slow: (_job, { signal }) =>
        new Promise<void>((resolve, reject) => {
          const timeout = setTimeout(resolve, 5000);
          signal.addEventListener('abort', () => {
            aborted = true;
            clearTimeout(timeout);
            reject(signal.reason);
          });
        }),
    },
  });
  const job = await queue.enqueue({ kind: 'slow', payload: null });
  await waitFor(async () => ((await queue.get(job.id))?.state === 'running' ? true : undefined));
  assert.equal(await queue.cancel(job.id), true);
  await waitFor(async () => (aborted ? true : undefined));
  await runner.stop();
  assert.equal((await queue.get(job.id))?.state, 'cancelled');
  assert.equal(await queue.cancel(job.id), false, 'a finished job cannot be cancelled again');
});

import { Worker } from 'node:worker_threads';
import type { FastifyBaseLogger } from 'fastify';
import { failedRoundDelayMs } from '../jobs/retry-backoff.ts';

export interface SearchIndexThreadOptions {
  dataDir: string;
  sync: 'full' | 'normal';
  batchSize: number;
  intervalMs: number;
}

type WorkerMessage =
  | { type: 'error'; message: string; code?: string; failures: number; retryInMs: number }
  | { type: 'recovered'; failures: number }
  | { type: 'stopped' };

/**
 * Starts the full-text indexer in a worker thread; `stop()` lets it finish its batch and close.
 * The thread retries failing steps itself; a thread that dies (it could not open the database,
 * say) is started again after a backoff, so indexing resumes once the cause is gone.
 */
export function startSearchIndexThread(options: SearchIndexThreadOptions, log: FastifyBaseLogger) {
  let worker: Worker | undefined;
  let exited: Promise<void> = Promise.resolve();
  let stopping = false;
  let crashes = 0;
  let restartTimer: NodeJS.Timeout | undefined;

  function spawn() {
    // A heap limit of its own, as the main thread's (bin/auditum.mjs): V8 then collects before it grows.
    const resourceLimits = { maxOldGenerationSizeMb: 512 };
    const thread = new Worker(new URL('./search-worker.mjs', import.meta.url), { workerData: options, resourceLimits });
    worker = thread;
    let crashed = false;
    thread.on('message', (message: WorkerMessage) => {
      if (message.type === 'error') {
        const { message: text, code, failures, retryInMs } = message;
        log.error({ task: 'search-index', message: text, code, failures, retryInMs }, 'search indexing failed; will retry');
      }
      if (message.type === 'recovered') {
        log.info({ task: 'search-index', failures: message.failures }, 'search indexing works again');
        crashes = 0;
      }
      // It has closed its database; its message port would keep the thread alive.
      if (message.type === 'stopped') void thread.terminate();
    });
    thread.on('error', (error) => {
      crashed = true;
      log.error({ err: error, task: 'search-index' }, 'search index thread crashed');
    });
    exited = new Promise((resolve) => {
      thread.on('exit', (code) => {
        worker = undefined;
        resolve();
        if (stopping) return;
        crashes += 1;
        const delay = failedRoundDelayMs(crashes, options.intervalMs);
        if (!crashed) log.error({ task: 'search-index', exitCode: code }, 'search index thread exited');
        log.warn({ task: 'search-index', retryInMs: delay }, 'restarting the search index thread');
        restartTimer = setTimeout(spawn, delay);
        restartTimer.unref();
      });
    });
  }
  spawn();

  return {
    async stop() {
      stopping = true;
      clearTimeout(restartTimer);
      worker?.postMessage({ type: 'stop' });
      await exited;
    },
  };
}

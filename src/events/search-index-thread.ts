import { Worker } from 'node:worker_threads';
import type { FastifyBaseLogger } from 'fastify';

/** Starts the full-text indexer in a worker thread; `stop()` lets it finish its batch and close. */
export function startSearchIndexThread(options: { dataDir: string; sync: 'full' | 'normal'; batchSize: number; intervalMs: number }, log: FastifyBaseLogger) {
  const worker = new Worker(new URL('./search-worker.mjs', import.meta.url), { workerData: options });
  const stopped = new Promise<void>((resolve) => {
    worker.on('message', (message: { type: string; message?: string }) => {
      if (message.type === 'error') log.error({ task: 'search-index', message: message.message }, 'background task failed');
      if (message.type === 'stopped') resolve();
    });
    worker.on('error', (error) => {
      log.error({ err: error, task: 'search-index' }, 'search index thread crashed');
      resolve();
    });
    worker.on('exit', () => resolve());
  });
  return {
    async stop() {
      worker.postMessage({ type: 'stop' });
      await stopped;
      await worker.terminate();
    },
  };
}

import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../db/database.ts';
import { failedRoundDelayMs } from '../jobs/retry-backoff.ts';
import { createSearchIndexer } from './search-indexer.ts';

/** Runs in its own thread with its own connection, so full-text indexing never takes the ingest thread's time. */
const { dataDir, sync, batchSize, intervalMs } = workerData as { dataDir: string; sync: 'full' | 'normal'; batchSize: number; intervalMs: number };
// On Linux a nice value set with pid 0 applies to the calling thread only: this thread yields the
// CPU to request handling whenever both want it, and indexes with what is left over.
try {
  os.setPriority(19);
} catch (error) {
  parentPort!.postMessage({ type: 'error', message: `could not lower the indexer's priority: ${error instanceof Error ? error.message : String(error)}` });
}
const database = await openDatabase({ dataDir, sync, skipMigrations: true });
const indexer = createSearchIndexer(database, { batchSize });
let stopping = false;
let wakeEarly: (() => void) | undefined;
parentPort!.on('message', (message: { type: string }) => {
  if (message.type !== 'stop') return;
  stopping = true;
  wakeEarly?.();
});

/** Waits `ms`, or less if stop is asked for meanwhile (a backoff may be a minute long). */
async function pause(ms: number): Promise<void> {
  const controller = new AbortController();
  wakeEarly = () => controller.abort();
  await sleep(ms, undefined, { signal: controller.signal }).catch(() => {});
  wakeEarly = undefined;
}

// A failing step (a full disk: SQLITE_FULL) is reported and retried with backoff; the first step that works again says so.
let failures = 0;
while (!stopping) {
  try {
    const added = await indexer.step();
    if (failures > 0) parentPort!.postMessage({ type: 'recovered', failures });
    failures = 0;
    if (added === 0) await pause(intervalMs);
  } catch (error) {
    failures += 1;
    const retryInMs = failedRoundDelayMs(failures, intervalMs);
    const code = (error as NodeJS.ErrnoException).code;
    parentPort!.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error), code, failures, retryInMs });
    await pause(retryInMs);
  }
}
await database.close();
parentPort!.postMessage({ type: 'stopped' });

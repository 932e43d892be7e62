import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../db/database.ts';
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
parentPort!.on('message', (message: { type: string }) => {
  if (message.type === 'stop') stopping = true;
});
while (!stopping) {
  try {
    const added = await indexer.step();
    if (added === 0) await sleep(intervalMs);
  } catch (error) {
    parentPort!.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    await sleep(intervalMs);
  }
}
await database.close();
parentPort!.postMessage({ type: 'stopped' });

/**
 * The export scenario of `npm run bench`: one fresh server per format exports every entry of a
 * filled data dir; reports time, rows/s, file size, the server's peak RSS, and how long a
 * GET /v1/events took meanwhile (exports must not block queries).
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, startServerProcess, waitForExit } from '../test/helpers/process.ts';
import { fmt, mb, peakRss, type BenchStore } from './common.ts';

const FORMATS = ['csv', 'xlsx', 'jsonl'] as const;

function currentRss(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
}

export interface ExportBenchResult {
  format: string;
  rows: number;
  seconds: number;
  sizeBytes: number;
  /** The server's RSS before the export was queued. */
  idleRssBytes: number;
  peakRssBytes: number;
  queryP50Ms: number;
  queryMaxMs: number;
}

/** Exports all of the store's entries once per format, each in a fresh server process. */
export async function benchExports(store: BenchStore, key: string, formats: readonly string[] = FORMATS): Promise<ExportBenchResult[]> {
  const results: ExportBenchResult[] = [];
  for (const format of formats) {
    const port = await freePort();
    // Size-triggered checkpoints are off: the first append after a start (the export's own
    // export.created) would otherwise sign a checkpoint over the whole log, which is measured
    // elsewhere and not part of exporting.
    const server = await startServerProcess({ ...store.env, PORT: String(port), AUDITUM_LOG_LEVEL: 'warn' });
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    try {
      await sleep(5000);
      const idleRssBytes = currentRss(server.child.pid!);
      const started = performance.now();
      const res = await fetch(`${server.url}/v1/exports`, { method: 'POST', headers, body: JSON.stringify({ name: `bench ${format}`, format }) });
      if (res.status !== 202) throw new Error(`queue failed: ${res.status} ${await res.text()}`);
      const { id } = (await res.json()) as { id: string };
      const queryTimes: number[] = [];
      let view: { status: string; rows_written: number; size_bytes: number | null; error: string | null };
      for (;;) {
        const q0 = performance.now();
        const page = await fetch(`${server.url}/v1/events?limit=50&type=user.login`, { headers });
        await page.arrayBuffer();
        queryTimes.push(performance.now() - q0);
        view = (await (await fetch(`${server.url}/v1/exports/${id}`, { headers })).json()) as typeof view;
        if (!['queued', 'running'].includes(view.status)) break;
        await sleep(200);
      }
      const seconds = (performance.now() - started) / 1000;
      if (view.status !== 'completed') throw new Error(`export ${format} ended ${view.status}: ${view.error}`);
      queryTimes.sort((a, b) => a - b);
      results.push({
        format,
        rows: view.rows_written,
        seconds,
        sizeBytes: view.size_bytes ?? 0,
        idleRssBytes,
        peakRssBytes: peakRss(server.child.pid!),
        queryP50Ms: queryTimes[Math.floor(queryTimes.length / 2)] ?? 0,
        queryMaxMs: queryTimes[queryTimes.length - 1] ?? 0,
      });
      await fetch(`${server.url}/v1/exports/${id}`, { method: 'DELETE', headers });
    } finally {
      server.child.kill('SIGTERM');
      await waitForExit(server.child);
    }
  }
  return results;
}

export function printExportResults(results: ExportBenchResult[]): void {
  console.log(`\nExports (background job, one fresh server per format; a GET /v1/events every 200 ms meanwhile)`);
  for (const r of results) {
    console.log(
      `  ${r.format.padEnd(6)} ${fmt(r.rows)} rows in ${fmt(r.seconds, 1).padStart(6)} s  (${fmt(r.rows / r.seconds).padStart(7)} rows/s)  ` +
        `file ${mb(r.sizeBytes).padStart(8)}  server RSS idle ${mb(r.idleRssBytes)}, peak ${mb(r.peakRssBytes)} (target < 400 MB)  ` +
        `query meanwhile p50 ${fmt(r.queryP50Ms, 1)} ms, max ${fmt(r.queryMaxMs, 1)} ms`,
    );
  }
}

import { pause } from './backoff.ts';
import { AuditumError, errorFromResponse } from './errors.ts';
import { filterBody } from './filters.ts';
import { textChunks } from './text-chunks.ts';
import type { Transport } from './transport.ts';
import type { Entry, EventFilter, ExportFormat, ExportView } from './types.ts';

export interface CreateExportOptions extends EventFilter {
  format: ExportFormat;
  /** Shown in the list, and the download's file name (default: "Export <time>"). */
  name?: string;
  /** `time` (newest first; csv and xlsx default) or `chain` (seq order; jsonl default). */
  order?: 'time' | 'chain';
}

export interface WaitOptions {
  /** Between polls, ms (default 500). */
  intervalMs?: number;
  /** Give up after this long, ms (default: no limit). */
  timeoutMs?: number;
  /** Called after each poll with the export as it stands (status, rows_written, progress). */
  onProgress?(view: ExportView): void;
}

/** One export: its state, progress polling, and its file. */
export interface ExportHandle {
  readonly id: string;
  /** The export as last read. */
  readonly view: ExportView;
  /** Reads the export again (GET /v1/exports/{id}). */
  refresh(): Promise<ExportView>;
  /** Polls until the export is completed; an AuditumError when it failed, was cancelled or expired. */
  wait(options?: WaitOptions): Promise<ExportView>;
  /** The completed file's bytes as they arrive. */
  download(): Promise<ReadableStream<Uint8Array>>;
  /** A completed JSONL export's entries, one per line, in the file's order. */
  entries(): AsyncGenerator<Entry>;
  /** Cancels a queued or running export, or deletes a finished one and its file. */
  cancel(): Promise<void>;
}

const FINISHED_BADLY = new Set(['failed', 'cancelled', 'expired']);

/** Exports: POST /v1/exports, then polling, downloading and cancelling through the handle. */
export function createExports(transport: Transport) {
  function handle(first: ExportView): ExportHandle {
    let view = first;
    const path = `/v1/exports/${encodeURIComponent(first.id)}`;
    const refresh = async () => (view = await transport.json<ExportView>('GET', path));

    async function download(): Promise<ReadableStream<Uint8Array>> {
      const response = await transport.send('GET', `${path}/download`, { timeoutMs: null, headers: { accept: '*/*' } });
      if (!response.ok) throw await errorFromResponse(response);
      return response.body!;
    }

    async function* entries(): AsyncGenerator<Entry> {
      if (view.format !== 'jsonl') {
        throw new AuditumError('invalid_use', `entries() reads JSONL exports; this one is ${view.format}`);
      }
      let rest = '';
      for await (const chunk of textChunks(await download())) {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop()!;
        for (const line of lines) if (line.trim()) yield JSON.parse(line) as Entry;
      }
      if (rest.trim()) yield JSON.parse(rest) as Entry;
    }

    async function wait(options: WaitOptions = {}): Promise<ExportView> {
      const until = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
      for (;;) {
        await refresh();
        options.onProgress?.(view);
        if (view.status === 'completed') return view;
        if (FINISHED_BADLY.has(view.status)) {
          const why = view.error ? `: ${view.error}` : '';
          throw new AuditumError(`export_${view.status}`, `export ${view.id} is ${view.status}${why}`);
        }
        if (Date.now() >= until) {
          throw new AuditumError('timeout', `export ${view.id} still ${view.status} after ${options.timeoutMs} ms`);
        }
        await pause(options.intervalMs ?? 500);
      }
    }

    return {
      id: first.id,
      get view() {
        return view;
      },
      refresh,
      wait,
      download,
      entries,
      cancel: async () => void (await transport.json('DELETE', path)),
    };
  }

  /** Queues an export of the matching entries (202); the handle follows it. */
  async function create(options: CreateExportOptions): Promise<ExportHandle> {
    const { name = `Export ${new Date().toISOString()}`, ...rest } = options;
    return handle(await transport.json<ExportView>('POST', '/v1/exports', { json: { name, ...filterBody(rest) } }));
  }

  /** An export made earlier, by id. */
  async function get(id: string): Promise<ExportHandle> {
    return handle(await transport.json<ExportView>('GET', `/v1/exports/${encodeURIComponent(id)}`));
  }

  return { create, get };
}

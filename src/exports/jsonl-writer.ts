import type { Entry } from '../events/event.schemas.ts';
import type { ExportWriter } from './export-writer.ts';
import { openFileSink } from './file-sink.ts';

/**
 * JSON Lines: each stored entry exactly as GET /v1/events/{id} returns it (with seq, prev_hash
 * and hash), one per line, so `auditum verify --file` can check a contiguous export's chain.
 */
export function openJsonlWriter(file: string): ExportWriter {
  const sink = openFileSink(file);
  return {
    write: (entry: Entry) => sink.write(`${JSON.stringify(entry)}\n`),
    end: () => sink.end(),
    destroy: () => sink.destroy(),
  };
}

import type { Entry } from '../events/event.schemas.ts';
import type { ExportFormat, ExportOrder } from './export.repo.ts';
import { openCsvWriter } from './csv-writer.ts';
import { openJsonlWriter } from './jsonl-writer.ts';
import { openXlsxWriter } from './xlsx-writer.ts';

/** Writes one export file, entry by entry, with bounded memory. */
export interface ExportWriter {
  /** Resolves when the writer can take more (backpressure from the file). */
  write(entry: Entry): Promise<void>;
  /** Finishes the file and makes it durable. */
  end(): Promise<void>;
  /** Stops without finishing; the caller deletes the file. */
  destroy(): void;
}

/** What an export is, for the formats that can say it inside the file. */
export interface ExportInfo {
  name: string;
  order: ExportOrder;
  filter: Record<string, unknown>;
  throughSeq: number;
  createdAt: number;
}

export const FILE_EXTENSIONS: Record<ExportFormat, string> = { csv: 'csv', xlsx: 'xlsx', jsonl: 'jsonl' };

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  jsonl: 'application/x-ndjson; charset=utf-8',
};

export function openExportWriter(format: ExportFormat, file: string, info: ExportInfo): ExportWriter {
  if (format === 'csv') return openCsvWriter(file);
  if (format === 'xlsx') return openXlsxWriter(file, info);
  return openJsonlWriter(file);
}

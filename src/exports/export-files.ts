import fs from 'node:fs';
import path from 'node:path';
import { makePrivateDirAsync } from '../data-dir.ts';
import type { ExportFormat, ExportOrder } from './export.repo.ts';
import { FILE_EXTENSIONS } from './export-writer.ts';

/** Ids become path segments only when they are plain identifiers (they are UUIDs). */
const SAFE_SEGMENT = /^[A-Za-z0-9_-]{1,64}$/;

function segment(value: string): string {
  if (!SAFE_SEGMENT.test(value)) throw new Error(`unsafe path segment ${JSON.stringify(value)}`);
  return value;
}

/**
 * Where export files live: `<dataDir>/exports/<org id>/<export id>.<ext>`. A file is written as
 * `.partial` and renamed when complete, so a finished name never points at half a file.
 */
export function createExportFiles(dataDir: string) {
  const root = path.join(dataDir, 'exports');
  const final = (orgId: string, id: string, format: ExportFormat) => path.join(root, segment(orgId), `${segment(id)}.${FILE_EXTENSIONS[format]}`);
  const partial = (orgId: string, id: string, format: ExportFormat) => `${final(orgId, id, format)}.partial`;

  /** Creates the organization's folder and returns the paths of one export. */
  async function prepare(orgId: string, id: string, format: ExportFormat): Promise<{ partial: string; final: string }> {
    await makePrivateDirAsync(path.join(root, segment(orgId)));
    return { partial: partial(orgId, id, format), final: final(orgId, id, format) };
  }

  /** Deletes an export's file and any partial one; missing files are fine. */
  async function remove(orgId: string, id: string, format: ExportFormat): Promise<void> {
    await fs.promises.rm(final(orgId, id, format), { force: true });
    await fs.promises.rm(partial(orgId, id, format), { force: true });
  }

  return { root, final, partial, prepare, remove };
}

export type ExportFiles = ReturnType<typeof createExportFiles>;

/** Bidirectional controls: in a file name they make `report\u202Etxt.exe` read as `reportexe.txt`. */
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * The download's file name from the export's name: bidirectional controls are dropped, characters
 * that file systems or the Content-Disposition header cannot carry become "_", and the format's
 * order ("(time order)" or "(chain order)") and the extension are added.
 */
export function downloadFileName(name: string, format: ExportFormat, order: ExportOrder): string {
  const base = name
    .normalize('NFC')
    .replace(BIDI_CONTROLS, '')
    .replace(/[\u0000-\u001f\u007f"*/:<>?\\|]/g, '_')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^\.+/, '')
    .slice(0, 150);
  // The order is said in the name, since a CSV or JSONL row cannot say it.
  return `${base || 'export'} (${order} order).${FILE_EXTENSIONS[format]}`;
}

/** A Content-Disposition value with an ASCII fallback and the exact UTF-8 name (RFC 6266). */
export function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/[%;]/g, '_');
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

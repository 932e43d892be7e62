import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import fs from 'node:fs';
import { stringify } from 'csv-stringify';
import type { Entry } from '../events/event.schemas.ts';
import { entryCells, EXPORT_COLUMNS, type ExportCell } from './export-columns.ts';
import { fsyncFile } from './file-sink.ts';
import type { ExportWriter } from './export-writer.ts';

/** What a spreadsheet would run as a formula (or DDE command) when it opens the file. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** A text cell a spreadsheet would treat as a formula gets a leading single quote, so it stays text. */
export function neutraliseFormula(cell: ExportCell): ExportCell {
  return typeof cell === 'string' && FORMULA_START.test(cell) ? `'${cell}` : cell;
}

/**
 * CSV per RFC 4180 (CRLF line ends, quotes doubled inside quoted fields), UTF-8 with a BOM so
 * spreadsheets pick the right encoding, and a header row. Written through csv-stringify.
 */
export function openCsvWriter(file: string): ExportWriter {
  const stringifier = stringify({ bom: true, header: true, columns: [...EXPORT_COLUMNS], record_delimiter: 'windows' });
  const done = pipeline(stringifier, fs.createWriteStream(file));
  let failure: Error | undefined;
  done.catch((error: Error) => (failure ??= error));
  return {
    async write(entry: Entry) {
      if (failure) throw failure;
      if (!stringifier.write(entryCells(entry).map(neutraliseFormula))) await Promise.race([once(stringifier, 'drain'), done]);
    },
    async end() {
      stringifier.end();
      await done;
      await fsyncFile(file);
    },
    destroy() {
      stringifier.destroy();
    },
  };
}

import { stringify } from 'csv-stringify/sync';
import type { Entry } from '../events/event.schemas.ts';
import { entryCells, EXPORT_COLUMNS, type ExportCell } from './export-columns.ts';
import type { ExportWriter } from './export-writer.ts';
import { openFileSink } from './file-sink.ts';

/** What a spreadsheet would run as a formula (or DDE command) when it opens the file. */
const FORMULA_START = /^[=+\-@\t\r]/;
/** The same, right after a line break inside a cell: a reader that splits on bare CR or LF would start a cell there. */
const FORMULA_AFTER_BREAK = /([\r\n])(?=[=+\-@\t])/g;
/** Cells holding a line break are always quoted (csv-stringify quotes only the record delimiter, CRLF, by itself). */
const LINE_BREAK = /[\r\n]/;
/** Rows turned into text at a time: big enough to be cheap, small enough to keep memory flat. */
const ROWS_PER_CHUNK = 200;

/**
 * A text cell a spreadsheet would treat as a formula gets a leading single quote, so it stays text;
 * so does every line of it that would start one.
 */
export function neutraliseFormula(cell: ExportCell): ExportCell {
  if (typeof cell !== 'string') return cell;
  const lines = cell.replace(FORMULA_AFTER_BREAK, "$1'");
  return FORMULA_START.test(lines) ? `'${lines}` : lines;
}

/**
 * CSV per RFC 4180 (CRLF line ends, quotes doubled inside quoted fields), UTF-8 with a BOM so
 * spreadsheets pick the right encoding, and a header row. csv-stringify formats each chunk of
 * rows; the chunks go to the file with backpressure.
 */
export function openCsvWriter(file: string): ExportWriter {
  const sink = openFileSink(file);
  let pending: ExportCell[][] = [];
  let first = true;

  async function flush() {
    const text = stringify(pending, {
      bom: first,
      header: first,
      columns: [...EXPORT_COLUMNS],
      record_delimiter: 'windows',
      quoted_match: LINE_BREAK,
    });
    first = false;
    pending = [];
    await sink.write(text);
  }

  return {
    async write(entry: Entry) {
      pending.push(entryCells(entry).map(neutraliseFormula));
      if (pending.length >= ROWS_PER_CHUNK) await flush();
    },
    async end() {
      if (pending.length > 0 || first) await flush();
      await sink.end();
    },
    destroy: () => sink.destroy(),
  };
}

import fs from 'node:fs';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import ExcelJS from 'exceljs';
import { PRIVATE_FILE_MODE } from '../data-dir.ts';
import type { Entry } from '../events/event.schemas.ts';
import { entryCells, EXPORT_COLUMNS } from './export-columns.ts';
import type { ExportWriter } from './export-writer.ts';
import { fsyncFile } from './file-sink.ts';

/** Data rows per sheet: Excel's 1,048,576 rows less the header. */
export const XLSX_ROWS_PER_SHEET = 1_048_575;
/** Excel's limit on the characters in one cell. */
export const XLSX_MAX_CELL = 32_767;
const TRUNCATED = '…[truncated]';
/** Characters XML 1.0 cannot carry (or exceljs drops); they become U+FFFD. */
const XML_ILLEGAL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffe\uffff]/g;
const WIDTHS: Partial<Record<(typeof EXPORT_COLUMNS)[number], number>> = {
  timestamp: 24, event_type: 26, category: 14, actor_email: 28, actor_id: 24, actor_type: 12, project: 18, action: 40, result: 10,
  target_type: 14, target_id: 24, target_name: 24, ip: 16, user_agent: 36, request_method: 10, request_path: 32, metadata: 48,
  event_id: 38, seq: 10, hash: 66,
};
/** Uncompressed sheet XML allowed to wait for the zip compressor. */
const MAX_PENDING = 4 * 1024 * 1024;
const LAST_COLUMN = String.fromCharCode(64 + EXPORT_COLUMNS.length);

/**
 * A text cell as Excel can hold it: line breaks as Excel writes them (LF; XML would turn a raw CR
 * into LF anyway), characters XML cannot carry replaced by U+FFFD, at most 32,767 characters.
 */
export function xlsxText(value: string): string {
  const clean = value.replace(/\r\n?/g, '\n').replace(XML_ILLEGAL, '\ufffd');
  return clean.length > XLSX_MAX_CELL ? clean.slice(0, XLSX_MAX_CELL - TRUNCATED.length) + TRUNCATED : clean;
}

type StreamState = { length?: number } | undefined;
/**
 * Bytes of sheet XML written but not yet taken by the compressor. This reads exceljs 4.4's
 * internals (the worksheet's StreamBuf is piped into a stream the zip reads from); if they
 * change, it reads 0 and the writer only yields, which is still correct, just less frugal.
 */
function pendingBytes(sheet: ExcelJS.Worksheet | undefined): number {
  const pipe = (sheet as unknown as { _stream?: { pipes?: Array<{ _writableState?: StreamState; _readableState?: StreamState }> } })?._stream?.pipes?.[0];
  return (pipe?._writableState?.length ?? 0) + (pipe?._readableState?.length ?? 0);
}

/**
 * Excel through exceljs's streaming writer: rows are committed as they come and never held.
 * The timestamp is a real date cell (UTC, shown as yyyy-mm-dd hh:mm:ss.000); the header row is
 * bold, frozen and has an autofilter; past `rowsPerSheet` rows the export continues on a new sheet.
 */
export function openXlsxWriter(file: string, rowsPerSheet = XLSX_ROWS_PER_SHEET): ExportWriter {
  const out = fs.createWriteStream(file, { mode: PRIVATE_FILE_MODE });
  const closed = new Promise<void>((resolve, reject) => {
    out.on('close', resolve);
    out.on('error', reject);
  });
  closed.catch(() => {});
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  let sheet: ExcelJS.Worksheet | undefined;
  let sheets = 0;
  let rowsInSheet = 0;
  let sinceYield = 0;

  function newSheet() {
    sheet?.commit();
    sheets += 1;
    sheet = workbook.addWorksheet(sheets === 1 ? 'Audit log' : `Audit log (${sheets})`, { views: [{ state: 'frozen', ySplit: 1 }] });
    sheet.columns = EXPORT_COLUMNS.map((name) => ({
      header: name,
      key: name,
      width: WIDTHS[name] ?? 16,
      ...(name === 'timestamp' ? { style: { numFmt: 'yyyy-mm-dd hh:mm:ss.000' } } : {}),
    }));
    sheet.autoFilter = { from: 'A1', to: `${LAST_COLUMN}1` };
    const header = sheet.getRow(1);
    header.font = { bold: true };
    header.commit();
    rowsInSheet = 0;
  }

  return {
    async write(entry: Entry) {
      if (!sheet || rowsInSheet >= rowsPerSheet) newSheet();
      const cells = entryCells(entry).map((cell, i) => (i === 0 ? new Date(cell as string) : typeof cell === 'string' ? xlsxText(cell) : cell));
      sheet!.addRow(cells).commit();
      rowsInSheet += 1;
      // exceljs hands rows to the zip without backpressure: every 500 rows, wait until the
      // compressor has taken all but a few MB, so memory stays bounded however many rows come.
      if (++sinceYield >= 500) {
        sinceYield = 0;
        await yieldToLoop();
        while (pendingBytes(sheet) > MAX_PENDING || out.writableNeedDrain) await yieldToLoop();
      }
    },
    async end() {
      if (!sheet) newSheet();
      sheet!.commit();
      await workbook.commit();
      await closed;
      await fsyncFile(file);
    },
    destroy() {
      out.destroy();
    },
  };
}

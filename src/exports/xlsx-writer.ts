import fs from 'node:fs';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import ExcelJS from 'exceljs';
import { PRIVATE_FILE_MODE } from '../data-dir.ts';
import type { Entry } from '../events/event.schemas.ts';
import { entryCells, EXPORT_COLUMNS, TIME_COLUMNS } from './export-columns.ts';
import type { ExportInfo } from './export-writer.ts';
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
  event_id: 38, seq: 10, hash: 66, actor_name: 24, on_behalf_of_id: 24, on_behalf_of_email: 28, response_status: 10,
  received_at: 24, prev_hash: 66,
};
/** Uncompressed sheet XML allowed to wait for the zip compressor. */
const MAX_PENDING = 4 * 1024 * 1024;
/** Excel's letters for a 1-based column number: A..Z, AA.. */
function columnLetters(n: number): string {
  return n <= 26 ? String.fromCharCode(64 + n) : columnLetters(Math.floor((n - 1) / 26)) + String.fromCharCode(65 + ((n - 1) % 26));
}
const TIME_INDEXES = new Set(EXPORT_COLUMNS.flatMap((name, i) => (TIME_COLUMNS.has(name) ? [i] : [])));
const LAST_COLUMN = columnLetters(EXPORT_COLUMNS.length);
const ORDER_WORDS = { time: 'Time order: newest first by occurred_at, as the Audit Logs page', chain: 'Chain order: by seq, as the hash chain' };

/** A last sheet saying what the workbook holds: the export's name, order, filters and bounds. */
function addAboutSheet(workbook: ExcelJS.stream.xlsx.WorkbookWriter, info: ExportInfo) {
  const about = workbook.addWorksheet('About');
  about.columns = [{ width: 22 }, { width: 80 }];
  const filters = Object.entries(info.filter).map(([key, value]) => `${key}=${Array.isArray(value) ? value.join(',') : String(value)}`);
  const rows: Array<[string, string | number | Date]> = [
    ['Export', xlsxText(info.name)],
    ['Row order', ORDER_WORDS[info.order]],
    ['Filters', xlsxText(filters.join('; ') || 'none (every entry)')],
    ['Entries through seq', info.throughSeq],
    ['Queued at (UTC)', new Date(info.createdAt)],
  ];
  for (const cells of rows) {
    const row = about.addRow(cells);
    row.getCell(1).font = { bold: true };
    if (cells[1] instanceof Date) row.getCell(2).numFmt = 'yyyy-mm-dd hh:mm:ss';
    row.commit();
  }
  about.commit();
}

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
export function openXlsxWriter(file: string, info?: ExportInfo, rowsPerSheet = XLSX_ROWS_PER_SHEET): ExportWriter {
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
      ...(TIME_COLUMNS.has(name) ? { style: { numFmt: 'yyyy-mm-dd hh:mm:ss.000' } } : {}),
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
      const cells = entryCells(entry).map((cell, i) =>
        TIME_INDEXES.has(i) && typeof cell === 'string' ? new Date(cell) : typeof cell === 'string' ? xlsxText(cell) : cell);
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
      if (info) addAboutSheet(workbook, info);
      await workbook.commit();
      await closed;
      await fsyncFile(file);
    },
    destroy() {
      out.destroy();
    },
  };
}

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import type { Entry } from '../../src/events/event.schemas.ts';

/**
 * The export columns as the issue promises them, written out independently of the server's
 * own mapping so a test compares against the promise, not against the code under test.
 */
export const COLUMNS = [
  'timestamp', 'event_type', 'category', 'actor_email', 'actor_id', 'actor_type', 'project', 'action', 'result', 'target_type',
  'target_id', 'target_name', 'ip', 'user_agent', 'request_method', 'request_path', 'metadata', 'event_id', 'seq', 'hash',
  'actor_name', 'on_behalf_of_id', 'on_behalf_of_email', 'response_status', 'received_at', 'prev_hash',
];
const TIME_COLUMNS = new Set(['timestamp', 'received_at']);

/** Entries as a time-ordered export holds them: newest first by occurred_at (the page's order). */
export const inTimeOrder = (entries: Entry[]) =>
  [...entries].sort((a, b) => Date.parse(b.occurred_at) - Date.parse(a.occurred_at) || b.seq - a.seq);

/** What each column should hold for a stored entry (null: an empty cell). */
export function expectedRow(e: Entry): Record<string, string | number | null> {
  return {
    timestamp: e.occurred_at,
    event_type: e.type,
    category: e.category,
    actor_email: e.actor.email ?? null,
    actor_id: e.actor.id,
    actor_type: e.actor.type,
    project: e.project?.id ?? null,
    action: e.action,
    result: e.result,
    target_type: e.target?.type ?? null,
    target_id: e.target?.id ?? null,
    target_name: e.target?.name ?? null,
    ip: e.ip,
    user_agent: e.user_agent,
    request_method: e.request?.method ?? null,
    request_path: e.request?.path ?? null,
    metadata: e.metadata === null ? null : JSON.stringify(e.metadata),
    event_id: e.id,
    seq: e.seq,
    hash: e.hash,
    actor_name: e.actor.name ?? null,
    on_behalf_of_id: e.actor.on_behalf_of?.id ?? null,
    on_behalf_of_email: e.actor.on_behalf_of?.email ?? null,
    response_status: e.request?.status ?? null,
    received_at: e.received_at,
    prev_hash: e.prev_hash,
  };
}

/** The CSV text of a cell: empty for null, a leading quote for what a spreadsheet would run. */
export function expectedCsvCell(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return typeof value === 'string' && /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/** Parses an exported CSV with csv-parse (an independent reader); checks the BOM and CRLF line ends. */
export function readCsv(bytes: Buffer): string[][] {
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'starts with a UTF-8 BOM');
  const text = bytes.toString('utf8');
  assert.ok(text.includes(`${COLUMNS.join(',')}\r\n`), 'the header row ends with CRLF');
  return parse(text, { bom: true, relax_column_count: false }) as string[][];
}

/** Compares every cell of a parsed CSV (header included) with the entries, in order. */
export function assertCsvMatches(records: string[][], entries: Entry[]): void {
  assert.deepEqual(records[0], COLUMNS);
  assert.equal(records.length - 1, entries.length, 'one row per entry');
  entries.forEach((entry, i) => {
    const expected = expectedRow(entry);
    assert.deepEqual(records[i + 1], COLUMNS.map((c) => expectedCsvCell(expected[c]!)), `row ${i + 1} (seq ${entry.seq})`);
  });
}

/** Loads an exported workbook with exceljs's reader. */
export async function readXlsx(bytes: Buffer): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  return workbook;
}

/** Compares every cell of the workbook's data rows (across sheets) with the entries, in order; checks header styling. */
export function assertXlsxMatches(workbook: ExcelJS.Workbook, entries: Entry[]): void {
  const rows: ExcelJS.Row[] = [];
  for (const sheet of workbook.worksheets.filter((s) => s.name !== 'About')) {
    const header = sheet.getRow(1);
    assert.deepEqual(COLUMNS.map((_, i) => header.getCell(i + 1).value), COLUMNS, `header of ${sheet.name}`);
    assert.equal(header.getCell(1).font?.bold, true, 'the header is bold');
    assert.equal(sheet.views[0]?.state, 'frozen');
    assert.equal((sheet.views[0] as { ySplit?: number }).ySplit, 1, 'the header row is frozen');
    assert.ok(sheet.autoFilter, 'the header has an autofilter');
    for (let r = 2; r <= sheet.rowCount; r++) rows.push(sheet.getRow(r));
  }
  assert.equal(rows.length, entries.length, 'one row per entry');
  entries.forEach((entry, i) => {
    const expected = expectedRow(entry);
    const row = rows[i]!;
    COLUMNS.forEach((column, c) => {
      if (TIME_COLUMNS.has(column)) {
        const stamp = row.getCell(c + 1);
        assert.ok(stamp.value instanceof Date, `${column} of seq ${entry.seq} is a date cell`);
        assert.equal((stamp.value as Date).toISOString(), expected[column]);
        assert.match(String(stamp.numFmt), /yyyy-mm-dd hh:mm:ss/);
        return;
      }
      const value = row.getCell(c + 1).value;
      // Excel's line break is LF: a CR or CRLF in a text cell is exported as LF, and an empty text
      // is an empty cell (see the README).
      const want = expected[column]!;
      const shown = typeof want === 'string' ? want.replace(/\r\n?/g, '\n') || null : want;
      assert.deepEqual(value ?? null, shown, `${column} of seq ${entry.seq}`);
    });
  });
}

/** Polls an export until it is no longer queued or running (bounded, ~30 s). */
export async function waitForExport(get: () => Promise<{ status: string }>, timeoutMs = 30_000): Promise<any> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const view = await get();
    if (!['queued', 'running'].includes(view.status)) return view;
    if (Date.now() > until) throw new Error(`export still ${view.status} after ${timeoutMs} ms: ${JSON.stringify(view)}`);
    await sleep(25);
  }
}

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import type { Entry } from '../../src/events/event.schemas.ts';
import { spawnSync } from 'node:child_process';
import { parse } from 'csv-parse/sync';
import { neutraliseFormula, openCsvWriter } from '../../src/exports/csv-writer.ts';
import { contentDisposition, downloadFileName } from '../../src/exports/export-files.ts';
import { openXlsxWriter, xlsxText, XLSX_MAX_CELL } from '../../src/exports/xlsx-writer.ts';
import { assertXlsxMatches, readXlsx } from '../helpers/exports.ts';
import { freshDataDir } from '../helpers/test-app.ts';

const dir = freshDataDir('export-writers');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function entry(seq: number): Entry {
  return {
    id: `id-${seq}`, org_id: 'org', seq, type: 'user.login', category: 'user', action: `=action ${seq}`, result: 'success',
    actor: { id: `user-${seq}`, type: 'user', email: `u${seq}@example.com` }, project: null, target: { type: 'flow', id: `f${seq}`, name: 'Flow' },
    ip: null, user_agent: null, request: { method: 'GET', path: '/x' }, metadata: seq % 2 ? { n: seq } : null,
    occurred_at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq, 123)).toISOString(), received_at: new Date().toISOString(), prev_hash: 'p'.repeat(64), hash: 'h'.repeat(64),
  };
}

test('CSV formula neutralisation: =, +, -, @, tab and CR at the start get a leading quote; other cells and numbers do not', () => {
  for (const value of ['=1+1', '+49 30', '-1', '@SUM(A1)', '\tx', '\rx']) assert.equal(neutraliseFormula(value), `'${value}`);
  for (const value of ['plain', ' =not first', 'a=b', '', "'already", 'a\nb']) assert.equal(neutraliseFormula(value), value);
  assert.equal(neutraliseFormula('a\n=b\r+c'), "a\n'=b\r'+c");
  assert.equal(neutraliseFormula(-5), -5);
  assert.equal(neutraliseFormula(null), null);
});

test('download file names come from the export name, safe for file systems and the header', () => {
  assert.equal(downloadFileName('Q1 audit', 'csv', 'time'), 'Q1 audit (time order).csv');
  assert.equal(downloadFileName('../../etc/passwd', 'jsonl', 'chain'), '_.._etc_passwd (chain order).jsonl');
  assert.equal(downloadFileName('a\r\nb"c', 'xlsx', 'time'), 'a__b_c (time order).xlsx');
  assert.equal(downloadFileName('...', 'csv', 'time'), 'export (time order).csv');
  assert.equal(downloadFileName('report\u202etxt.exe', 'csv', 'time'), 'reporttxt.exe (time order).csv', 'bidi controls are dropped');
  assert.equal(downloadFileName('\u2066a\u2069\u200fb', 'csv', 'time'), 'ab (time order).csv');
  assert.equal(contentDisposition('Zoë 東京.csv'), `attachment; filename="Zo_ __.csv"; filename*=UTF-8''Zo%C3%AB%20%E6%9D%B1%E4%BA%AC.csv`);
});

test('Excel text cells: characters XML cannot carry become U+FFFD, CR becomes LF, and long text is cut at 32,767', () => {
  assert.equal(xlsxText('a\u0001b\u007fc'), 'a\ufffdb\ufffdc');
  assert.equal(xlsxText('a\r\nb\rc\nd'), 'a\nb\nc\nd');
  const long = xlsxText('x'.repeat(40_000));
  assert.equal(long.length, XLSX_MAX_CELL);
  assert.ok(long.endsWith('…[truncated]'));
});

test('Excel continues on a new sheet past the row limit, each with its own header', async () => {
  const file = path.join(dir, 'sheets.xlsx');
  const writer = openXlsxWriter(file, undefined, 3);
  const entries = Array.from({ length: 7 }, (_, i) => entry(i + 1));
  for (const e of entries) await writer.write(e);
  await writer.end();
  const workbook = await readXlsx(fs.readFileSync(file));
  assert.deepEqual(workbook.worksheets.map((s) => s.name), ['Audit log', 'Audit log (2)', 'Audit log (3)']);
  assert.deepEqual(workbook.worksheets.map((s) => s.rowCount), [4, 4, 2]);
  assertXlsxMatches(workbook, entries);
});

test('an empty Excel export still has its header row', async () => {
  const file = path.join(dir, 'empty.xlsx');
  const writer = openXlsxWriter(file);
  await writer.end();
  const workbook = await readXlsx(fs.readFileSync(file));
  assert.equal(workbook.worksheets.length, 1);
  assertXlsxMatches(workbook, []);
});

test('CSV row injection: line breaks stay inside quoted cells, and no line of any cell starts a formula', async () => {
  const file = path.join(dir, 'injection.csv');
  const writer = openCsvWriter(file);
  const hostile = ["ok\n=cmd|' /C calc'!A0", '\r=1+1', 'a\r\n+b', 'x\n@SUM(A1)\n-2', 'fine\nline'];
  const entries = hostile.map((action, i) => ({ ...entry(i + 1), action, metadata: null }));
  for (const e of entries) await writer.write(e);
  await writer.end();
  const text = fs.readFileSync(file, 'utf8');
  const rows: string[][] = parse(text, { bom: true, relax_quotes: false });
  assert.equal(rows.length, entries.length + 1, 'one header row and one row per entry');
  const actionColumn = rows[0]!.indexOf('action');
  for (const [i, row] of rows.slice(1).entries()) {
    assert.equal(row.length, rows[0]!.length);
    for (const cell of row) assert.doesNotMatch(cell, /^[=+\-@\t\r]/, `row ${i + 1} starts a formula: ${JSON.stringify(cell)}`);
    const lines = row[actionColumn]!.split(/\r\n|\r|\n/);
    for (const line of lines) assert.doesNotMatch(line, /^[=+\-@\t]/, `a line of row ${i + 1} starts a formula`);
  }
  assert.equal(rows[1]![actionColumn], "ok\n'=cmd|' /C calc'!A0");
  assert.equal(rows[5]![actionColumn], 'fine\nline');
  // Python's csv module (what the attacker probe used) must read the same rows.
  const python = spawnSync('python3', ['-c', PY_READ, file], { encoding: 'utf8' });
  assert.equal(python.status, 0, python.stderr);
  assert.deepEqual(JSON.parse(python.stdout), rows);
});

const PY_READ = `
import csv, json, sys
with open(sys.argv[1], newline='', encoding='utf-8-sig') as f:
    print(json.dumps(list(csv.reader(f))))
`;

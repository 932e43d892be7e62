import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Entry } from '../../src/events/event.schemas.ts';
import { runCliProcess } from '../helpers/process.ts';
import { assertCsvMatches, assertXlsxMatches, inTimeOrder, readCsv, readXlsx, waitForExport } from '../helpers/exports.ts';
import { sampleEvent, startTestApp, type Session, type TestApp, type TestOrg } from '../helpers/test-app.ts';

/** Values that break naive CSV writers and spreadsheets. */
const TRICKY = [
  'plain',
  'comma, inside',
  'quote " inside and "quoted"',
  'line\nbreak',
  'crlf\r\nbreak',
  '=SUM(A1:A9)',
  '+1 555 0100',
  '-42',
  '@import',
  '\ttab first',
  '\rcarriage first',
  'unicode: Zoë 東京 🚀 e\u0301 — ünïcödé',
  'semi;colon',
  '',
];

function trickyEvents(): Record<string, unknown>[] {
  const minute = 60_000;
  const base = Date.now() - 3 * 86_400_000;
  return TRICKY.map((value, i) => ({
    type: i % 3 === 0 ? 'flow.created' : 'user.login',
    action: value,
    result: i % 4 === 0 ? 'failed' : 'success',
    actor: {
      id: `user-${i}`, email: `user${i}@example.com`, ...(i % 2 ? { name: 'Ünïcode Name' } : {}),
      ...(i % 4 === 1 ? { on_behalf_of: { id: `boss-${i}`, email: `boss${i}@example.com` } } : {}),
    },
    ...(i % 2 ? { project: { id: `proj-${i}`, name: 'P' } } : {}),
    target: { type: 'flow', id: `flow-${i}`, name: value.replace(/[\u0000-\u001f]/g, ' ') || 'empty' },
    ...(i % 5 ? { ip: `10.0.0.${i}` } : {}),
    user_agent: `agent "${i}", =cmd`,
    ...(i % 3 ? { request: { method: 'post', path: `/api/flows/${i}?a=1,b="2"`, status: i % 2 ? 403 : 201 } } : {}),
    metadata: i % 4 === 3 ? undefined : { note: value, nested: { list: [1, 'two', null, value] }, emoji: '🚀' },
    occurred_at: new Date(base + i * minute).toISOString(),
  }));
}

describe('exports', () => {
  let t: TestApp;
  let owner: Session;
  let admin: Session;
  let member: Session;
  let other: TestOrg;

  const asKey = (key = t.org.key) => ({ key });
  async function exportDone(id: string, as: { key?: string; as?: Session } = {}) {
    return waitForExport(async () => (await t.request('GET', `/v1/exports/${id}`, as)).body);
  }
  async function download(id: string, headers: Record<string, string> = { authorization: `Bearer ${t.org.key}` }) {
    const res = await fetch(`${t.url}/v1/exports/${id}/download`, { headers });
    return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
  }
  /** The stored entries an unfiltered export taken at `throughSeq` must contain, in seq order. */
  async function storedThrough(orgId: string, throughSeq: number): Promise<Entry[]> {
    return (await t.app.services.store.bySeq(orgId, 0, 100_000)).filter((e) => e.seq <= throughSeq);
  }
  async function queue(body: Record<string, unknown>, as: { key?: string; as?: Session } = {}) {
    const res = await t.request('POST', '/v1/exports', { ...as, body });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body;
  }

  before(async () => {
    t = await startTestApp();
    await t.createUser(t.org.id, 'owner@acme.test', 'owner');
    await t.createUser(t.org.id, 'admin@acme.test', 'admin');
    await t.createUser(t.org.id, 'member@acme.test', 'member');
    owner = await t.quietSession('owner@acme.test');
    admin = await t.quietSession('admin@acme.test');
    member = await t.quietSession('member@acme.test');
    other = await t.createOrg('globex');
    const res = await t.request('POST', '/v1/events', { body: { events: trickyEvents() } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal((await t.request('POST', '/v1/events', { key: other.key, body: sampleEvent({ action: 'globex secret' }) })).status, 201);
  });
  after(() => t.close());

  it('CSV: every cell read back with csv-parse equals the stored entry (quotes, newlines, commas, unicode, formulas neutralised)', async () => {
    const created = await queue({ name: 'Audit: Q1 "all" / ünïcode', format: 'csv' }, { as: admin });
    assert.equal(created.status, 'queued');
    assert.equal(created.format, 'csv');
    const done = await exportDone(created.id);
    assert.equal(done.status, 'completed', JSON.stringify(done));
    assert.equal(done.progress, 1);
    const entries = await storedThrough(t.org.id, done.through_seq);
    assert.equal(done.rows_written, entries.length);
    assert.ok(entries.length >= TRICKY.length);

    const file = await download(done.id, { cookie: admin.cookie });
    assert.equal(file.status, 200);
    assert.equal(file.headers.get('content-type'), 'text/csv; charset=utf-8');
    assert.equal(Number(file.headers.get('content-length')), file.bytes.length);
    assert.equal(done.size_bytes, file.bytes.length);
    const disposition = file.headers.get('content-disposition')!;
    assert.match(disposition, /^attachment; filename="Audit_ Q1 _all_ _ _n_code \(time order\)\.csv"; filename\*=UTF-8''/);
    assert.equal(decodeURIComponent(disposition.split("UTF-8''")[1]!), 'Audit_ Q1 _all_ _ ünïcode (time order).csv');
    assert.equal(done.order, 'time', 'a spreadsheet export is in time order by default');
    const records = readCsv(file.bytes);
    assertCsvMatches(records, inTimeOrder(entries));
    const stamps = records.slice(1).map((r) => Date.parse(r[0]!));
    assert.ok(stamps.every((at, i) => i === 0 || at <= stamps[i - 1]!), 'dates never jump: newest first');
    // The neutralised cells, spelled out.
    const actions = records.slice(1).map((r) => r[7]);
    for (const [raw, shown] of [['=SUM(A1:A9)', "'=SUM(A1:A9)"], ['+1 555 0100', "'+1 555 0100"], ['-42', "'-42"], ['@import', "'@import"], ['\ttab first', "'\ttab first"], ['\rcarriage first', "'\rcarriage first"], ['line\nbreak', 'line\nbreak']]) {
      assert.ok(actions.includes(shown!), `${JSON.stringify(raw)} is exported as ${JSON.stringify(shown)}`);
    }
  });

  it('Excel: date cells, bold frozen header with autofilter, and every cell equal to the stored entry', async () => {
    const created = await queue({ name: 'excel', format: 'xlsx' });
    const done = await exportDone(created.id);
    assert.equal(done.status, 'completed', JSON.stringify(done));
    const file = await download(done.id);
    assert.equal(file.status, 200);
    assert.equal(file.headers.get('content-type'), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    assert.match(file.headers.get('content-disposition')!, /filename="excel \(time order\)\.xlsx"/);
    const workbook = await readXlsx(file.bytes);
    assert.deepEqual(workbook.worksheets.map((s) => s.name), ['Audit log', 'About']);
    assertXlsxMatches(workbook, inTimeOrder(await storedThrough(t.org.id, done.through_seq)));
    const about = workbook.getWorksheet('About')!;
    assert.equal(about.getCell('A2').value, 'Row order');
    assert.match(String(about.getCell('B2').value), /^Time order: newest first/);
    assert.equal(about.getCell('B4').value, done.through_seq);
  });

  it('CSV in chain order when asked: by seq, said in the file name', async () => {
    const created = await queue({ name: 'by seq', format: 'csv', order: 'chain' });
    const done = await exportDone(created.id);
    assert.equal(done.order, 'chain');
    const file = await download(done.id);
    assert.match(file.headers.get('content-disposition')!, /filename="by seq \(chain order\)\.csv"/);
    assertCsvMatches(readCsv(file.bytes), await storedThrough(t.org.id, done.through_seq));
    const bad = await t.request('POST', '/v1/exports', { body: { name: 'x', format: 'csv', order: 'random' } });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /order/);
  });

  it('JSONL: one stored entry per line, and `auditum verify --file` passes; a tampered line fails', async () => {
    const created = await queue({ name: 'chain', format: 'jsonl' });
    const done = await exportDone(created.id);
    assert.equal(done.status, 'completed', JSON.stringify(done));
    const file = await download(done.id);
    assert.equal(file.headers.get('content-type'), 'application/x-ndjson; charset=utf-8');
    const lines = file.bytes.toString('utf8').split('\n');
    assert.equal(lines.pop(), '', 'ends with a newline');
    const entries = await storedThrough(t.org.id, done.through_seq);
    assert.deepEqual(lines.map((l) => JSON.parse(l)), entries);
    for (const line of lines) assert.ok('seq' in JSON.parse(line) && 'prev_hash' in JSON.parse(line) && 'hash' in JSON.parse(line));

    const out = path.join(t.dataDir, 'check.jsonl');
    fs.writeFileSync(out, file.bytes);
    const good = await runCliProcess(['verify', '--file', out], {});
    assert.equal(good.code, 0, good.stdout + good.stderr);
    assert.equal(JSON.parse(good.stdout).checked, entries.length);
    const tampered = lines.map((l, i) => (i === 3 ? l.replace('"result":"success"', '"result":"denied"').replace('"result":"failed"', '"result":"denied"') : l));
    assert.notEqual(tampered[3], lines[3]);
    fs.writeFileSync(out, `${tampered.join('\n')}\n`);
    const bad = await runCliProcess(['verify', '--file', out], {});
    assert.equal(bad.code, 1);
    assert.equal(JSON.parse(bad.stdout).first_bad_seq, entries[3]!.seq);
  });

  it('a filtered export holds exactly what GET /v1/events returns for the same filter, oldest first; the range is resolved at creation', async () => {
    const filter = { type: ['user.login'], result: 'success', range: '7d' as const };
    const created = await queue({ name: 'filtered', format: 'jsonl', ...filter });
    assert.deepEqual(created.filter.type, ['user.login']);
    assert.deepEqual(created.filter.result, ['success']);
    assert.ok(Math.abs(Date.parse(created.filter.from) - (Date.now() - 7 * 86_400_000)) < 60_000, 'range 7d became an absolute from');
    const done = await exportDone(created.id);
    const listed = await t.request('GET', '/v1/events?type=user.login&result=success&range=7d&limit=500');
    const expected = (listed.body.events as Entry[]).filter((e) => e.seq <= done.through_seq).sort((a, b) => a.seq - b.seq);
    assert.ok(expected.length > 3);
    const lines = (await download(done.id)).bytes.toString('utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines, expected);
    assert.equal(done.rows_written, expected.length);

    // Free text too: the same rows as the search on the page.
    const searched = await queue({ name: 'searched', format: 'jsonl', q: 'ünïcödé 🚀' });
    const searchedDone = await exportDone(searched.id);
    const hits = (await t.request('GET', `/v1/events?q=${encodeURIComponent('ünïcödé 🚀')}&limit=500`)).body.events as Entry[];
    const want = hits.filter((e) => e.seq <= searchedDone.through_seq).sort((a, b) => a.seq - b.seq);
    assert.ok(want.length >= 1);
    const got = (await download(searched.id)).bytes.toString('utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(got.map((e) => e.seq), want.map((e) => e.seq));

    // The actor filter matches an email as well as an id, as on the page.
    for (const actor of ['user3@example.com', 'user-3']) {
      const byActor = await exportDone((await queue({ name: `actor ${actor}`, format: 'jsonl', actor })).id);
      const rows = (await t.request('GET', `/v1/events?actor=${encodeURIComponent(actor)}&limit=500`)).body.events as Entry[];
      const wanted = rows.filter((e) => e.seq <= byActor.through_seq).map((e) => e.seq).sort((a, b) => a - b);
      assert.ok(wanted.length >= 1, actor);
      const exported = (await download(byActor.id)).bytes.toString('utf8').trim().split('\n').map((l) => JSON.parse(l).seq);
      assert.deepEqual(exported, wanted, actor);
    }
  });

  it('records export.created and export.downloaded with the real actor', async () => {
    const created = await queue({ name: 'recorded', format: 'csv', type: 'user.*' }, { as: owner });
    await exportDone(created.id);
    assert.equal((await download(created.id, { cookie: owner.cookie })).status, 200);
    const entries = (await t.app.services.query.list(t.org.id, { types: ['export.created', 'export.downloaded'] }, 50)).entries.filter((e) => e.target?.id === created.id);
    const byType = Object.fromEntries(entries.map((e) => [e.type, e]));
    assert.equal(byType['export.created']?.actor.email, 'owner@acme.test');
    assert.equal(byType['export.created']?.actor.type, 'user');
    assert.equal(byType['export.created']?.target?.name, 'recorded');
    assert.deepEqual((byType['export.created']?.metadata as any).filter, { type: ['user.*'] });
    assert.equal(byType['export.downloaded']?.actor.email, 'owner@acme.test');
    assert.equal(byType['export.downloaded']?.ip, '127.0.0.1');
    assert.equal((byType['export.downloaded']?.metadata as any).format, 'csv');
  });

  it('members cannot export or see exports; owners and admins can', async () => {
    const denied = await t.request('POST', '/v1/exports', { as: member, body: { name: 'x', format: 'csv' } });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error.code, 'forbidden');
    assert.equal((await t.request('GET', '/v1/exports', { as: member })).status, 403);
    const listed = await t.request('GET', '/v1/exports', { as: owner });
    assert.equal(listed.status, 200);
    assert.ok(listed.body.exports.length >= 1);
    const anyId = listed.body.exports[0].id;
    assert.equal((await t.request('GET', `/v1/exports/${anyId}`, { as: member })).status, 403);
    assert.equal((await download(anyId, { cookie: member.cookie })).status, 403);
    assert.equal((await t.request('DELETE', `/v1/exports/${anyId}`, { as: member })).status, 403);
    assert.equal((await t.request('POST', '/v1/exports', { key: null, body: { name: 'x', format: 'csv' } })).status, 401);
    const writeOnly = await t.createOrg('writeonly', ['events:write']);
    assert.equal((await t.request('POST', '/v1/exports', { key: writeOnly.key, body: { name: 'x', format: 'csv' } })).status, 403);
  });

  it("one organization can never see, download or delete another's export", async () => {
    const created = await queue({ name: 'acme only', format: 'csv' });
    await exportDone(created.id);
    for (const [method, url] of [['GET', `/v1/exports/${created.id}`], ['GET', `/v1/exports/${created.id}/download`], ['DELETE', `/v1/exports/${created.id}`]] as const) {
      const res = await t.request(method, url, asKey(other.key));
      assert.equal(res.status, 404, `${method} ${url}`);
      assert.equal(res.body.error.code, 'not_found');
    }
    const theirs = await t.request('GET', '/v1/exports', asKey(other.key));
    assert.deepEqual(theirs.body.exports, []);
    // And globex's own export holds only globex's entries.
    const own = await queue({ name: 'globex', format: 'jsonl' }, asKey(other.key));
    const done = await waitForExport(async () => (await t.request('GET', `/v1/exports/${own.id}`, asKey(other.key))).body);
    const text = (await download(own.id, { authorization: `Bearer ${other.key}` })).bytes.toString('utf8');
    assert.ok(text.includes('globex secret'));
    assert.ok(text.trim().split('\n').every((l) => JSON.parse(l).org_id === other.id));
    assert.equal(done.rows_written, 1);
    assert.equal((await t.request('GET', `/v1/exports/${own.id}`)).status, 404, 'acme cannot see it either');
  });

  it('rejects bad input with 400 naming the field', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: 'x', format: 'pdf' }, 'format'],
      [{ format: 'csv' }, 'name'],
      [{ name: '   ', format: 'csv' }, 'name'],
      [{ name: 'x', format: 'csv', result: 'maybe' }, 'result'],
      [{ name: 'x', format: 'csv', colour: 'red' }, 'colour'],
      [{ name: 'x', format: 'csv', range: '7d', from: '2026-01-01T00:00:00Z' }, 'range'],
      [{ name: 'x', format: 'csv', from: 'yesterday' }, 'from'],
    ];
    for (const [body, field] of cases) {
      const res = await t.request('POST', '/v1/exports', { body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error.code, 'invalid_request');
      assert.ok(res.body.error.details.some((d: { field: string }) => d.field === field), `${JSON.stringify(body)} -> ${JSON.stringify(res.body.error)}`);
    }
    const badId = await t.request('GET', '/v1/exports/not-a-uuid');
    assert.equal(badId.status, 400);
    assert.equal(badId.body.error.details[0].field, 'id');
    assert.equal((await t.request('GET', '/v1/exports/0190a0a0-0000-7000-8000-000000000000')).status, 404);
  });

  it('expired files are deleted; the export says expired and its download answers 410', async () => {
    const created = await queue({ name: 'short lived', format: 'csv' });
    const done = await exportDone(created.id);
    const file = t.app.services.exportFiles.final(t.org.id, done.id, 'csv');
    assert.ok(fs.existsSync(file));
    const expiresAt = Date.parse(done.expires_at);
    assert.ok(Math.abs(expiresAt - (Date.parse(done.completed_at) + 168 * 3_600_000)) < 1000, 'default 7 days');
    await t.app.services.exports.sweep(expiresAt - 1);
    assert.ok(fs.existsSync(file), 'not yet');
    assert.equal((await t.request('GET', `/v1/exports/${done.id}`)).body.status, 'completed');
    assert.ok((await t.app.services.exports.sweep(expiresAt + 1)) >= 1);
    assert.equal(fs.existsSync(file), false, 'the file is gone');
    const view = await t.request('GET', `/v1/exports/${done.id}`);
    assert.equal(view.body.status, 'expired');
    assert.equal(view.body.download_url, null);
    const gone = await t.request('GET', `/v1/exports/${done.id}/download`);
    assert.equal(gone.status, 410);
    assert.equal(gone.body.error.code, 'gone');
  });

  it('DELETE cancels a running export (no file left) and removes a finished one', async () => {
    const inputs = Array.from({ length: 30 }, (_, b) => Array.from({ length: 1000 }, (_, i) => ({ type: 'user.login', result: 'success' as const, actor: { id: `bulk-${b}-${i}`, type: 'user' as const }, action: 'bulk row for a slower export' })));
    for (const batch of inputs) await t.app.services.store.append(t.org.id, batch);
    const created = await queue({ name: 'to cancel', format: 'xlsx' });
    const cancelled = await t.request('DELETE', `/v1/exports/${created.id}`);
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.body.status, 'cancelled');
    const settled = await exportDone(created.id);
    assert.equal(settled.status, 'cancelled');
    const folder = path.join(t.dataDir, 'exports', t.org.id);
    for (let i = 0; i < 200 && fs.readdirSync(folder).some((f) => f.startsWith(created.id)); i++) await new Promise((r) => setTimeout(r, 25));
    assert.deepEqual(fs.readdirSync(folder).filter((f) => f.startsWith(created.id)), [], 'no partial file is left');
    assert.equal((await t.request('GET', `/v1/exports/${created.id}/download`)).status, 409);

    const finished = await queue({ name: 'to remove', format: 'jsonl', type: 'flow.created' });
    await exportDone(finished.id);
    const file = t.app.services.exportFiles.final(t.org.id, finished.id, 'jsonl');
    assert.ok(fs.existsSync(file));
    const removed = await t.request('DELETE', `/v1/exports/${finished.id}`);
    assert.equal(removed.status, 204);
    assert.equal(fs.existsSync(file), false);
    assert.equal((await t.request('GET', `/v1/exports/${finished.id}`)).status, 404);
  });

  it('at start-up, an export whose job is gone is marked failed, never left running', async () => {
    const created = await queue({ name: 'orphan', format: 'csv' });
    await exportDone(created.id);
    const repo = t.app.services.exportRepo;
    const row = (await repo.get(t.org.id, created.id))!;
    const orphanId = '0190a0a0-0000-7000-8000-00000000abcd';
    await repo.insert({ ...row, id: orphanId, status: 'running', completed_at: null, expires_at: null });
    assert.equal(await t.app.services.exports.reconcile(), 1);
    const view = (await t.request('GET', `/v1/exports/${orphanId}`)).body;
    assert.equal(view.status, 'failed');
    assert.match(view.error, /job was lost/);
  });
});

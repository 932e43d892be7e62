import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { OTLPLogExporter as JsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

// The official schema, to read the server's protobuf answers.
const require = createRequire(import.meta.url);
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');
const PATH = '/v1/otlp/v1/logs';

/** Sends records through the official OpenTelemetry SDK and exporter, as an instrumented application would. */
async function emitThrough(exporter: LogRecordExporter, records: Array<Parameters<ReturnType<LoggerProvider['getLogger']>['emit']>[0]>) {
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'billing' }),
    processors: [new SimpleLogRecordProcessor(exporter)],
  });
  const logger = provider.getLogger('billing-audit');
  for (const record of records) logger.emit(record);
  await provider.forceFlush();
  await provider.shutdown();
}

/** Exports directly and resolves to the exporter's result: code 0 is success, 1 failure (with its error). */
function exportResult(exporter: LogRecordExporter, records: Parameters<ReturnType<LoggerProvider['getLogger']>['emit']>[0][]) {
  return new Promise<{ code: number; error?: Error }>((resolve) => {
    const provider = new LoggerProvider({ processors: [{
      onEmit: (record) => exporter.export([record], resolve),
      forceFlush: async () => {},
      shutdown: async () => {},
    }] });
    for (const record of records) provider.getLogger('x').emit(record);
  });
}

describe('OTLP ingest (POST /v1/otlp/v1/logs)', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  const newest = async (key: string, query = '') => (await t.request('GET', `/v1/events?limit=50${query}`, { key })).body.events;

  it('stores what the official JSON exporter sends (gzip, x-api-key), mapped as the README says', async () => {
    const org = await t.createOrg('otlp-json');
    const exporter = new JsonExporter({ url: `${t.url}${PATH}`, headers: { 'x-api-key': org.key }, compression: 'gzip' as never });
    const at = new Date('2026-11-30T10:00:00.123Z');
    await emitThrough(exporter, [{
      eventName: 'invoice.paid',
      body: 'Paid invoice 42',
      timestamp: at,
      severityNumber: 9,
      attributes: {
        'event.id': 'otlp-json-1', 'event.category': 'billing', 'enduser.id': 'user-7', 'user.email': 'ada@example.com',
        'client.address': '10.0.0.7', 'user_agent.original': 'curl/8', 'http.request.method': 'POST', 'url.path': '/invoices/42',
        'http.response.status_code': 200, 'target.type': 'invoice', 'target.id': 'inv-42', 'project.id': 'proj-1',
        'audit.metadata': { plan: 'pro', seats: 3 }, 'invoice.total': 99.5,
      },
    }, {
      body: 'Card declined',
      severityNumber: 17,
      attributes: { 'event.type': 'payment.failed' },
    }]);
    const [declined, paid] = await newest(org.key);
    assert.equal(paid.id, 'otlp-json-1');
    assert.equal(paid.type, 'invoice.paid');
    assert.equal(paid.category, 'billing');
    assert.equal(paid.action, 'Paid invoice 42');
    assert.equal(paid.result, 'success');
    assert.deepEqual(paid.actor, { id: 'user-7', type: 'user', email: 'ada@example.com' });
    assert.equal(paid.ip, '10.0.0.7');
    assert.equal(paid.user_agent, 'curl/8');
    assert.deepEqual(paid.request, { method: 'POST', path: '/invoices/42', status: 200 });
    assert.deepEqual(paid.target, { type: 'invoice', id: 'inv-42' });
    assert.deepEqual(paid.project, { id: 'proj-1' });
    assert.deepEqual(paid.metadata, { plan: 'pro', seats: 3, 'invoice.total': 99.5 });
    assert.equal(paid.occurred_at, at.toISOString());
    // No enduser.id: the sending service is the actor; an ERROR without audit.result is a failure.
    assert.equal(declined.type, 'payment.failed');
    assert.deepEqual(declined.actor, { id: 'billing', type: 'system' });
    assert.equal(declined.result, 'failed');
  });

  it('stores what the official protobuf exporter sends (Bearer), once per event id however often it is sent', async () => {
    const org = await t.createOrg('otlp-proto');
    const exporter = () => new ProtoExporter({ url: `${t.url}${PATH}`, headers: { authorization: `Bearer ${org.key}` } });
    const record = { eventName: 'user.login', body: 'Signed in', attributes: { 'event.id': 'login-1', 'enduser.id': 'u-1' } };
    await emitThrough(exporter(), [record]);
    await emitThrough(exporter(), [record]);
    const events = await newest(org.key);
    assert.deepEqual(events.map((e: any) => [e.id, e.type, e.action, e.actor.id]), [['login-1', 'user.login', 'Signed in', 'u-1']]);
  });

  it('refuses a request with a record it cannot map, whole, naming the record, in OTLP\'s Status', async () => {
    const org = await t.createOrg('otlp-refused');
    const result = await exportResult(new JsonExporter({ url: `${t.url}${PATH}`, headers: { 'x-api-key': org.key } }), [
      { eventName: 'user.login', attributes: { 'enduser.id': 'u-1' } },
    ]);
    assert.equal(result.code, 0, String(result.error));
    const body = {
      resourceLogs: [{ scopeLogs: [{ logRecords: [
        { eventName: 'user.logout', attributes: [{ key: 'enduser.id', value: { stringValue: 'u-1' } }] },
        { body: { stringValue: 'no type here' } },
        { eventName: 'Not A Type' },
      ] }] }],
    };
    const res = await t.request('POST', PATH, { key: org.key, body });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 3);
    assert.match(res.body.message, /resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[1\] has no event type/);
    assert.match(res.body.message, /nothing was stored/);
    assert.equal(res.body.error.code, 'invalid_request');
    assert.deepEqual([...new Set(res.body.error.details.map((d: any) => d.index))], [1, 2]);
    assert.deepEqual((await newest(org.key)).map((e: any) => e.type), ['user.login'], 'the valid record was not stored either');
  });

  it('answers protobuf with protobuf: an empty response, or a Status', async () => {
    const Request = root.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
    const request = (records: unknown[]) => Request.fromObject({ resourceLogs: [{ scopeLogs: [{ logRecords: records }] }] });
    const encode = (records: unknown[]) => Buffer.from(Request.encode(request(records)).finish());
    const post = (body: Buffer, headers: Record<string, string> = {}) => fetch(`${t.url}${PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', authorization: `Bearer ${t.org.key}`, ...headers },
      body: new Uint8Array(body),
    });
    const deleted = encode([{ eventName: 'file.deleted', timeUnixNano: '1764496800000000000' }]);
    const ok = await post(zlib.gzipSync(deleted), { 'content-encoding': 'gzip' });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('content-type'), 'application/x-protobuf');
    const answer = root.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse.decode(new Uint8Array(await ok.arrayBuffer()));
    assert.equal(answer.partialSuccess, null);
    const [stored] = await newest(t.org.key, '&type=file.deleted');
    assert.equal(stored.occurred_at, '2025-11-30T10:00:00.000Z');

    const bad = await post(encode([{ body: { stringValue: 'untyped' } }]));
    assert.equal(bad.status, 400);
    const status = decodeStatus(new Uint8Array(await bad.arrayBuffer()));
    assert.equal(status.code, 3);
    assert.match(status.message, /has no event type/);
    const garbage = await post(Buffer.from('not protobuf at all'));
    assert.equal(garbage.status, 400);
    const corrupt = await post(Buffer.from('not gzip'), { 'content-encoding': 'gzip' });
    assert.equal(corrupt.status, 400);
  });

  it('needs an API key with events:write, and refuses unknown encodings and oversized batches', async () => {
    const body = { resourceLogs: [{ scopeLogs: [{ logRecords: [{ eventName: 'user.login' }] }] }] };
    assert.equal((await t.request('POST', PATH, { key: null, body })).status, 401);
    const reader = await t.createOrg('otlp-reader', ['events:read']);
    const refused = await t.request('POST', PATH, { key: reader.key, body });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, 7);
    const many = { resourceLogs: [{ scopeLogs: [{ logRecords: Array.from({ length: 1001 }, () => ({ eventName: 'user.login' })) }] }] };
    const tooMany = await t.request('POST', PATH, { body: many });
    assert.equal(tooMany.status, 400);
    assert.match(tooMany.body.message, /at most 1000/);
    const brotli = await fetch(`${t.url}${PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'br', authorization: `Bearer ${t.org.key}` },
      body: new Uint8Array(zlib.brotliCompressSync(JSON.stringify(body))),
    });
    assert.equal(brotli.status, 415);
  });
});

/** google.rpc.Status { int32 code = 1; string message = 2 }, read with protobufjs' reader. */
function decodeStatus(bytes: Uint8Array): { code: number; message: string } {
  const reader = require('protobufjs/minimal').Reader.create(bytes);
  const out = { code: 0, message: '' };
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 1) out.code = reader.int32();
    else if (tag >>> 3 === 2) out.message = reader.string();
    else reader.skipType(tag & 7);
  }
  return out;
}

import { createRequire } from 'node:module';

// The protobuf schema OpenTelemetry ships with its transformer (generated from the official .proto files).
const require = createRequire(import.meta.url);
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');
const logsV1 = root.opentelemetry.proto.collector.logs.v1;
const Writer = require('protobufjs/minimal').Writer;

/** A value of an OTLP attribute or body, flattened to plain JSON (int64 as a number, bytes as base64). */
export type Flat = null | boolean | number | string | Flat[] | { [key: string]: Flat };

/** One log record of an OTLP request, in the proto3 JSON mapping's field names, values flattened. */
export interface OtlpRecord {
  /** Where it sits in the request, for error messages: resourceLogs[i].scopeLogs[j].logRecords[k]. */
  path: string;
  timeUnixNano?: string;
  observedTimeUnixNano?: string;
  severityNumber?: number;
  severityText?: string;
  eventName?: string;
  body?: Flat;
  attributes: Record<string, Flat>;
  resource: Record<string, Flat>;
  traceId?: string;
  spanId?: string;
}

/** Decodes an ExportLogsServiceRequest in binary protobuf into the shape the JSON encoding has. */
export function decodeProtobuf(bytes: Uint8Array): unknown {
  const message = logsV1.ExportLogsServiceRequest.decode(bytes);
  const request = logsV1.ExportLogsServiceRequest.toObject(message, { longs: String, bytes: String, enums: Number });
  // OTLP/JSON carries trace and span ids as hex; protobuf as bytes (base64 here).
  for (const record of recordsOf(request)) {
    for (const key of ['traceId', 'spanId'] as const) {
      if (typeof record[key] === 'string') record[key] = Buffer.from(record[key], 'base64').toString('hex');
    }
  }
  return request;
}

/** Every log record of a decoded request (protobuf or JSON), flattened. */
export function flattenRequest(request: unknown): OtlpRecord[] {
  const out: OtlpRecord[] = [];
  const resourceLogs = arrayOf((request as { resourceLogs?: unknown })?.resourceLogs);
  resourceLogs.forEach((rl: any, i) => {
    const resource = keyValues(rl?.resource?.attributes);
    arrayOf(rl?.scopeLogs).forEach((sl: any, j) => {
      arrayOf(sl?.logRecords).forEach((r: any, k) => {
        out.push({
          path: `resourceLogs[${i}].scopeLogs[${j}].logRecords[${k}]`,
          timeUnixNano: nanos(r?.timeUnixNano),
          observedTimeUnixNano: nanos(r?.observedTimeUnixNano),
          severityNumber: typeof r?.severityNumber === 'number' ? r.severityNumber : undefined,
          severityText: typeof r?.severityText === 'string' ? r.severityText : undefined,
          eventName: typeof r?.eventName === 'string' && r.eventName !== '' ? r.eventName : undefined,
          body: r?.body === undefined || r?.body === null ? undefined : anyValue(r.body),
          attributes: keyValues(r?.attributes),
          resource,
          traceId: hexId(r?.traceId),
          spanId: hexId(r?.spanId),
        });
      });
    });
  });
  return out;
}

function recordsOf(request: any): any[] {
  return arrayOf(request?.resourceLogs).flatMap((rl: any) => arrayOf(rl?.scopeLogs).flatMap((sl: any) => arrayOf(sl?.logRecords)));
}

const arrayOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** A uint64 of nanoseconds as a decimal string, from a string or a number; undefined when absent or zero. */
function nanos(value: unknown): string | undefined {
  const text = typeof value === 'number' && Number.isFinite(value) ? BigInt(Math.trunc(value)).toString() : value;
  return typeof text === 'string' && /^\d+$/.test(text) && BigInt(text) > 0n ? text : undefined;
}

/** A trace or span id as lowercase hex; undefined when absent or all zeros (OTLP's "no id"). */
const hexId = (value: unknown) =>
  typeof value === 'string' && /^[0-9a-f]+$/i.test(value) && !/^0+$/.test(value) ? value.toLowerCase() : undefined;

/** An OTLP AnyValue (its one set member) as plain JSON. */
export function anyValue(value: any): Flat {
  if (value === undefined || value === null || typeof value !== 'object') return null;
  if ('stringValue' in value) return String(value.stringValue);
  if ('boolValue' in value) return Boolean(value.boolValue);
  if ('intValue' in value) return Number(value.intValue);
  if ('doubleValue' in value) return Number(value.doubleValue);
  if ('arrayValue' in value) return arrayOf(value.arrayValue?.values).map(anyValue);
  if ('kvlistValue' in value) return keyValues(value.kvlistValue?.values);
  if ('bytesValue' in value) return String(value.bytesValue);
  return null;
}

function keyValues(list: unknown): Record<string, Flat> {
  const out: Record<string, Flat> = {};
  for (const kv of arrayOf(list) as Array<{ key?: unknown; value?: unknown }>) {
    if (typeof kv?.key === 'string') out[kv.key] = anyValue(kv.value);
  }
  return out;
}

/** The body of a successful export: an empty ExportLogsServiceResponse (no partial success). */
export function encodeSuccess(): Uint8Array {
  return logsV1.ExportLogsServiceResponse.encode(logsV1.ExportLogsServiceResponse.create({})).finish();
}

/** google.rpc.Status { code = 1; message = 2 } in binary protobuf: what OTLP/HTTP answers a failure with. */
export function encodeStatus(code: number, message: string): Uint8Array {
  return new Writer().uint32(8).int32(code).uint32(18).string(message).finish();
}

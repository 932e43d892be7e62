import http from 'node:http';
import https from 'node:https';
import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { parseRetryAfter } from '../jobs/retry-backoff.ts';

export type OtlpProtocol = 'http/protobuf' | 'http/json';

/** What one POST to the receiver came to. */
export type SendOutcome =
  | { ok: true; status: number; rejectedLogRecords: number; partialMessage: string | null }
  | { ok: false; kind: 'http'; status: number; message: string; retryAfterMs?: number }
  | { ok: false; kind: 'network'; status: null; message: string };

export interface SendRequest {
  url: string;
  protocol: OtlpProtocol;
  headers: Record<string, string>;
  /** The records, or their body already encoded with encodeLogs for `protocol`. */
  records: ReadableLogRecord[] | Uint8Array;
  signal?: AbortSignal;
}

/** One ExportLogsServiceRequest in the protocol's encoding (OpenTelemetry's own serializers); undefined if it cannot be encoded. */
export function encodeLogs(protocol: OtlpProtocol, records: ReadableLogRecord[]): Uint8Array | undefined {
  const serializer = protocol === 'http/json' ? JsonLogsSerializer : ProtobufLogsSerializer;
  return serializer.serializeRequest(records);
}

const TIMEOUT_MS = 30_000;
/** Receivers answer with a small status body; more than this is not read. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * Sends OTLP/HTTP log export requests with node:http(s), so a custom CA (`ca`, PEM) can be trusted
 * for https receivers without touching the process-wide trust store.
 */
export function createOtlpSender({ ca }: { ca?: string | Buffer } = {}) {
  /** POSTs the records as one ExportLogsServiceRequest; never throws. */
  function send(request: SendRequest): Promise<SendOutcome> {
    const body = request.records instanceof Uint8Array ? request.records : encodeLogs(request.protocol, request.records);
    if (!body) return Promise.resolve({ ok: false, kind: 'network', status: null, message: 'could not serialize the records' });
    const url = new URL(request.url);
    const client = url.protocol === 'https:' ? https : http;
    const contentType = request.protocol === 'http/json' ? 'application/json' : 'application/x-protobuf';
    return new Promise((resolve) => {
      let settled = false;
      const finish = (outcome: SendOutcome) => {
        if (!settled) resolve(outcome);
        settled = true;
      };
      const req = client.request(
        url,
        {
          method: 'POST',
          headers: { ...request.headers, 'content-type': contentType, 'content-length': String(body.byteLength), 'user-agent': 'auditum-otlp-exporter' },
          timeout: TIMEOUT_MS,
          signal: request.signal,
          ...(url.protocol === 'https:' && ca ? { ca } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
          });
          res.on('error', (error) => finish({ ok: false, kind: 'network', status: null, message: error.message }));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const text = Buffer.concat(chunks);
            if (status >= 200 && status < 300) {
              finish({ ok: true, status, ...partialSuccess(text, String(res.headers['content-type'] ?? '')) });
              return;
            }
            const retryAfter = parseRetryAfter(firstHeader(res.headers['retry-after']));
            finish({ ok: false, kind: 'http', status, message: errorMessage(status, text, String(res.headers['content-type'] ?? '')), ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}) });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no response within ${TIMEOUT_MS / 1000} s`)));
      req.on('error', (error) => finish({ ok: false, kind: 'network', status: null, message: networkMessage(error) }));
      req.end(body);
    });
  }

  return { send };
}

export type OtlpSender = ReturnType<typeof createOtlpSender>;

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** An ExportLogsServiceResponse may report records the receiver dropped; everything else was accepted. */
function partialSuccess(body: Buffer, contentType: string): { rejectedLogRecords: number; partialMessage: string | null } {
  if (body.length === 0) return { rejectedLogRecords: 0, partialMessage: null };
  try {
    const serializer = contentType.includes('json') ? JsonLogsSerializer : ProtobufLogsSerializer;
    const partial = serializer.deserializeResponse(new Uint8Array(body)).partialSuccess;
    return { rejectedLogRecords: Number(partial?.rejectedLogRecords ?? 0), partialMessage: partial?.errorMessage || null };
  } catch {
    // A 2xx with an unreadable body still means the batch was accepted.
    return { rejectedLogRecords: 0, partialMessage: null };
  }
}

/** The receiver's own words, shortened: a google.rpc.Status JSON message, or the start of a text body. */
function errorMessage(status: number, body: Buffer, contentType: string): string {
  const text = body.toString('utf8');
  if (contentType.includes('json')) {
    try {
      const parsed = JSON.parse(text) as { message?: unknown };
      if (typeof parsed.message === 'string' && parsed.message) return `HTTP ${status}: ${parsed.message.slice(0, 500)}`;
    } catch {
      // fall through to the raw text
    }
  }
  const printable = contentType.includes('protobuf') ? '' : text.replace(/\s+/g, ' ').trim().slice(0, 500);
  return printable ? `HTTP ${status}: ${printable}` : `HTTP ${status}`;
}

function networkMessage(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
}

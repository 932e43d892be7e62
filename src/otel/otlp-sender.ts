import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { parseRetryAfter } from '../jobs/retry-backoff.ts';
import { httpStatusMessage, type FailureReason, type OutboundClient } from '../outbound/outbound-client.ts';

export type OtlpProtocol = 'http/protobuf' | 'http/json';

/**
 * What one POST to the receiver came to. `message` is short and never quotes the receiver's body
 * (it is shown in the API); `detail` has the receiver's or the socket's own words, for the server log.
 */
export type SendOutcome =
  | { ok: true; status: number; rejectedLogRecords: number; partialMessage: string | null }
  | { ok: false; kind: 'http'; status: number; message: string; detail: string; retryAfterMs?: number }
  | { ok: false; kind: 'network'; status: null; reason: FailureReason; message: string; detail: string };

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

/**
 * Sends OTLP/HTTP log export requests through the outbound client (outbound policy, no
 * redirects, the configured extra CA for https receivers).
 */
export function createOtlpSender({ client }: { client: OutboundClient }) {
  /** POSTs the records as one ExportLogsServiceRequest; never throws. */
  async function send(request: SendRequest): Promise<SendOutcome> {
    const body = request.records instanceof Uint8Array ? request.records : encodeLogs(request.protocol, request.records);
    if (!body) {
      const message = 'could not serialize the records';
      return { ok: false, kind: 'network', status: null, reason: 'invalid_request', message, detail: message };
    }
    const contentType = request.protocol === 'http/json' ? 'application/json' : 'application/x-protobuf';
    const result = await client.post({
      url: request.url,
      headers: { ...request.headers, 'content-type': contentType, 'user-agent': 'auditum-otlp-exporter' },
      body,
      timeoutMs: TIMEOUT_MS,
      ...(request.signal ? { signal: request.signal } : {}),
    });
    if (result.kind === 'failure') {
      return { ok: false, kind: 'network', status: null, reason: result.reason, message: result.message, detail: result.detail };
    }
    const { status } = result;
    const type = String(result.headers['content-type'] ?? '');
    if (status >= 200 && status < 300) return { ok: true, status, ...partialSuccess(result.body, type) };
    const retryAfter = parseRetryAfter(firstHeader(result.headers['retry-after']));
    return {
      ok: false,
      kind: 'http',
      status,
      message: httpStatusMessage(status),
      detail: receiverWords(status, result.body, type),
      ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}),
    };
  }

  return { send };
}

export type OtlpSender = ReturnType<typeof createOtlpSender>;

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * An ExportLogsServiceResponse may report records the receiver dropped; everything else was
 * accepted. Only a body declared as OTLP (protobuf or JSON) is read: anything else says nothing.
 */
function partialSuccess(body: Buffer, contentType: string): { rejectedLogRecords: number; partialMessage: string | null } {
  const none = { rejectedLogRecords: 0, partialMessage: null };
  const json = contentType.includes('application/json');
  if (body.length === 0 || (!json && !/application\/(x-)?protobuf/.test(contentType))) return none;
  try {
    const serializer = json ? JsonLogsSerializer : ProtobufLogsSerializer;
    const partial = serializer.deserializeResponse(new Uint8Array(body)).partialSuccess;
    return { rejectedLogRecords: Number(partial?.rejectedLogRecords ?? 0), partialMessage: partial?.errorMessage || null };
  } catch {
    // A 2xx with an unreadable body still means the batch was accepted.
    return none;
  }
}

/** The receiver's own words, shortened (a google.rpc.Status message, or the start of a text body): server log only. */
function receiverWords(status: number, body: Buffer, contentType: string): string {
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

import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';

// The protobuf schema OpenTelemetry ships (generated from the official .proto files), used only to decode.
const require = createRequire(import.meta.url);
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');
const ExportLogsServiceRequest = root.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;

/** A received log record, decoded and flattened: AnyValues become plain JSON values, int64 numbers. */
export interface ReceivedRecord {
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber: number;
  severityText: string;
  eventName: string;
  body: unknown;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  scope: { name: string; version?: string };
}

export interface ReceivedRequest {
  headers: http.IncomingHttpHeaders;
  contentType: string;
  records: ReceivedRecord[];
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/** Flattens an OTLP AnyValue, from either the protobuf object form or the OTLP/JSON form. */
export function anyValue(value: any): unknown {
  if (value === undefined || value === null) return null;
  if ('stringValue' in value) return value.stringValue;
  if ('boolValue' in value) return value.boolValue;
  if ('intValue' in value) return Number(value.intValue);
  if ('doubleValue' in value) return Number(value.doubleValue);
  if ('arrayValue' in value) return (value.arrayValue.values ?? []).map(anyValue);
  if ('kvlistValue' in value) return keyValues(value.kvlistValue.values ?? []);
  if ('bytesValue' in value) return value.bytesValue;
  return null;
}

function keyValues(list: Array<{ key: string; value?: unknown }>): Record<string, unknown> {
  return Object.fromEntries(list.map((kv) => [kv.key, anyValue(kv.value)]));
}

/** Both encodings decoded to one shape: OTLP/JSON is the proto3 JSON mapping, so field names agree. */
function flatten(request: any): ReceivedRecord[] {
  const out: ReceivedRecord[] = [];
  for (const resourceLogs of request.resourceLogs ?? []) {
    const resource = keyValues(resourceLogs.resource?.attributes ?? []);
    for (const scopeLogs of resourceLogs.scopeLogs ?? []) {
      for (const r of scopeLogs.logRecords ?? []) {
        out.push({
          timeUnixNano: String(r.timeUnixNano),
          observedTimeUnixNano: String(r.observedTimeUnixNano),
          severityNumber: Number(r.severityNumber),
          severityText: r.severityText,
          eventName: r.eventName,
          body: anyValue(r.body),
          attributes: keyValues(r.attributes ?? []),
          resource,
          scope: scopeLogs.scope,
        });
      }
    }
  }
  return out;
}

/**
 * A real OTLP/HTTP logs receiver on loopback. `respond` decides each answer (default 200, empty body);
 * requests answered 2xx are collected in `accepted`, every request in `requests`.
 */
export async function startOtlpReceiver(options: { port?: number; tls?: { key: string; cert: string } } = {}) {
  const requests: ReceivedRequest[] = [];
  const accepted: ReceivedRequest[] = [];
  let respond: (request: ReceivedRequest, index: number) => Reply | Promise<Reply> = () => ({ status: 200 });
  let server: http.Server | https.Server | undefined;
  let port = options.port ?? 0;

  async function listen() {
    const handler: http.RequestListener = (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const raw = Buffer.concat(chunks);
        const contentType = String(req.headers['content-type'] ?? '');
        let decoded: any;
        try {
          decoded = contentType.includes('json') ? JSON.parse(raw.toString('utf8')) : ExportLogsServiceRequest.toObject(ExportLogsServiceRequest.decode(raw), { longs: String, defaults: false });
        } catch (error) {
          res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ message: `undecodable: ${(error as Error).message}` }));
          return;
        }
        const received: ReceivedRequest = { headers: req.headers, contentType, records: flatten(decoded) };
        requests.push(received);
        const reply = await respond(received, requests.length - 1);
        if (reply.status >= 200 && reply.status < 300) accepted.push(received);
        res.writeHead(reply.status, reply.headers ?? {}).end(reply.body ?? '');
      });
    };
    server = options.tls ? https.createServer(options.tls, handler) : http.createServer(handler);
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  }

  await listen();
  return {
    requests,
    accepted,
    get url() {
      return `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}/v1/logs`;
    },
    /** Every record the receiver accepted, in arrival order. */
    acceptedRecords: () => accepted.flatMap((r) => r.records),
    setResponder(fn: typeof respond) {
      respond = fn;
    },
    /** Stops listening (connections refused) until `start` is called again on the same port. */
    async stop() {
      if (!server) return;
      const s = server;
      server = undefined;
      await closeServer(s);
    },
    start: listen,
  };
}

export type OtlpReceiver = Awaited<ReturnType<typeof startOtlpReceiver>>;

/** Polls `check` until it returns a truthy value or the deadline passes (then throws with `what`). */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** Closes a loopback test server at once, dropping kept-alive connections. */
export async function closeServer(server: { closeAllConnections(): void; close(cb: () => void): unknown }): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

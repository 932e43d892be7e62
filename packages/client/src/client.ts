import { EventEmitter } from 'node:events';
import { v7 as uuidv7 } from 'uuid';
import { apiKeyAuth, oauthAuth, type OauthSettings } from './auth.ts';
import { DEFAULT_RETRY, type RetryOptions } from './backoff.ts';
import { openEntryStream, type EntryStream, type StreamOptions } from './entry-stream.ts';
import { AuditumError, errorFromResponse } from './errors.ts';
import { createEventQueue, type RetryInfo, type WhenFull } from './event-queue.ts';
import { createEventReader } from './event-reader.ts';
import { watchExit } from './exit-warning.ts';
import { createExports } from './exports.ts';
import { createIntegrity } from './integrity.ts';
import { createTransport } from './transport.ts';
import type { Acknowledgement, EventFilter, EventInput, QueuedEvent } from './types.ts';

export interface CommonOptions {
  /** The server, e.g. `https://auditum.example`. */
  url: string;
  /** Most events in one request, 1-1000 (default 100). */
  maxBatchSize?: number;
  /** Most bytes of JSON in one request (default 1 MiB). */
  maxBatchBytes?: number;
  /** How long (ms) an event may wait for its batch to fill before it is sent (default 200). */
  maxWaitMs?: number;
  /** Most events held (queued and in flight, default 10,000). */
  maxQueueSize?: number;
  /** Most bytes of events held (default 16 MiB). */
  maxQueueBytes?: number;
  /** When the queue is full: `drop` the event with an `error` event (default), or `wait` for room. */
  whenFull?: WhenFull;
  retry?: Partial<RetryOptions>;
  /** Time limit of one request, ms (default 30,000; streams and downloads have none). */
  requestTimeoutMs?: number;
  /** How long close() keeps sending before it reports what is left as `unsent`, ms (default 10,000). */
  closeTimeoutMs?: number;
  /** Warn on stderr at exit with unsent events; send them when the event loop runs dry (default true). */
  exitWarning?: boolean;
}

export type ClientOptions = CommonOptions & (
  | { apiKey: string; oauth?: never }
  | { oauth: OauthSettings & { refreshMarginMs?: number }; apiKey?: never }
);

/** The SDK's client; an EventEmitter of `error` (AuditumError: events given up on) and `retry` (RetryInfo). */
export interface AuditumClient extends EventEmitter {
  /** Queues the event and returns at once: true when it is queued, false when it was refused (reported as `error`). */
  record(event: EventInput): Promise<boolean>;
  /** Sends the event without waiting for a batch to fill; resolves with the server's acknowledgement. */
  recordNow(event: EventInput): Promise<Acknowledgement>;
  /** Resolves once every event recorded so far is acknowledged or given up on. */
  flush(): Promise<void>;
  /** Refuses new events, sends the queued ones (for at most closeTimeoutMs) and ends open streams. */
  close(): Promise<void>;
  /** Events held, waiting for room, and counts of those sent, dropped and failed. */
  stats(): { queued: number; waiting: number; bytes: number; sent: number; dropped: number; failed: number };
  events: ReturnType<typeof createEventReader>;
  exports: ReturnType<typeof createExports>;
  integrity: ReturnType<typeof createIntegrity>;
  /** New entries matching `filters` as they are committed (Server-Sent Events, resumed after a dropped connection). */
  stream(filters?: EventFilter, options?: StreamOptions): EntryStream;
}

const MiB = 1024 * 1024;

/** A client for one Auditum server, authenticated by an API key or OAuth2 client credentials. */
export function createClient(options: ClientOptions): AuditumClient {
  const url = new URL(options.url).toString();
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const maxBatchSize = options.maxBatchSize ?? 100;
  if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1 || maxBatchSize > 1000) {
    throw new TypeError('maxBatchSize must be an integer from 1 to 1000 (the server takes 1,000 events a request)');
  }
  if (!options.apiKey === !options.oauth) throw new TypeError('createClient needs either apiKey or oauth');
  const auth = options.apiKey
    ? apiKeyAuth(options.apiKey)
    : oauthAuth({ url, timeoutMs, ...options.oauth! });
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const transport = createTransport({ url, auth, timeoutMs, retry });
  const emitter = new EventEmitter();

  /** To 'error' listeners on the next tick (one that throws cannot stop the queue); with none, a process warning. */
  const report = (error: AuditumError) => {
    if (emitter.listenerCount('error') > 0) return process.nextTick(() => emitter.emit('error', error));
    const message = `auditum client: ${error.message} (${error.events?.length ?? 0} event(s))`;
    process.emitWarning(message, { type: 'AuditumWarning', code: error.code });
  };

  const queue = createEventQueue({
    options: {
      maxBatchSize,
      maxBatchBytes: options.maxBatchBytes ?? MiB,
      maxWaitMs: options.maxWaitMs ?? 200,
      maxQueueSize: options.maxQueueSize ?? 10_000,
      maxQueueBytes: options.maxQueueBytes ?? 16 * MiB,
      whenFull: options.whenFull ?? 'drop',
      retry,
    },
    async send(events, signal) {
      const response = await transport.send('POST', '/v1/events', { json: { events }, signal });
      if (!response.ok) throw (await errorFromResponse(response)).about(events);
      return ((await response.json()) as { events: Acknowledgement[] }).events;
    },
    report,
    retrying: (info: RetryInfo) => emitter.emit('retry', info),
  });
  const unwatch = options.exitWarning === false ? () => {} : watchExit(queue, url);
  const streams = new Set<EntryStream>();
  let closing: Promise<void> | undefined;

  const client = Object.assign(emitter, {
    record: (event: EventInput) => queue.add(prepare(event)),
    recordNow: (event: EventInput) =>
      new Promise<Acknowledgement>((resolve, reject) => void queue.add(prepare(event), { resolve, reject })),
    flush: () => queue.flush(),
    close: () =>
      (closing ??= (async () => {
        for (const stream of streams) stream.close();
        await queue.close(options.closeTimeoutMs ?? 10_000);
        unwatch();
      })()),
    stats: () => queue.stats(),
    events: createEventReader(transport),
    exports: createExports(transport),
    integrity: createIntegrity(transport),
    stream(filters: EventFilter = {}, streamOptions?: StreamOptions): EntryStream {
      const stream = openEntryStream(transport, filters, streamOptions, () => streams.delete(stream));
      streams.add(stream);
      return stream;
    },
  });
  return client;
}

/** The event as sent: a UUIDv7 id when it has none (so a retried batch is recognised), occurred_at as text. */
function prepare(event: EventInput): QueuedEvent {
  if (typeof event !== 'object' || event === null) throw new TypeError('an event must be an object');
  const { occurred_at: at, id, ...rest } = event;
  const occurredAt = at instanceof Date ? at.toISOString() : at;
  return { ...rest, id: id ?? uuidv7(), ...(occurredAt === undefined ? {} : { occurred_at: occurredAt }) };
}

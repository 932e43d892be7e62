import { pause, retryDelay } from './backoff.ts';
import { AuditumError, errorFromResponse } from './errors.ts';
import { parseSse } from './sse.ts';
import type { Transport } from './transport.ts';
import { filterQuery } from './filters.ts';
import type { Entry, EventFilter } from './types.ts';

export interface StreamOptions {
  /** Start after this seq (default: after the chain's head, i.e. only new entries). */
  afterSeq?: number;
  /** Called before each reconnection, with the seq it resumes after and why the connection ended. */
  onReconnect?(info: { afterSeq: number | undefined; error?: AuditumError }): void;
}

/** New entries as they are committed; iterate with for await, stop with close() (or break). */
export interface EntryStream extends AsyncIterable<Entry> {
  /** Ends the stream: a waiting iteration finishes, the connection closes. */
  close(): void;
  /** The seq of the last entry received (or where the stream started), where a reconnection resumes. */
  readonly lastSeq: number | undefined;
}

const STARTS_AFTER = /^streaming entries after seq (\d+)/;

/**
 * GET /v1/events/stream as an async iterable. A dropped connection (a network failure, a server
 * restart) is reopened with Last-Event-ID, so the entries in between arrive once each, in seq order.
 * A refusal that another try cannot fix (401, 403, 400) ends the iteration with an AuditumError.
 */
export function openEntryStream(
  transport: Transport,
  filters: EventFilter,
  options: StreamOptions = {},
  onEnd?: () => void,
): EntryStream {
  const abort = new AbortController();
  let lastSeq = options.afterSeq;
  let reconnectMs = 2000;
  let used = false;

  /** One connection's entries; returns when it ends, throws what ended it when that was not us. */
  async function* connection(): AsyncGenerator<Entry> {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (lastSeq !== undefined) headers['last-event-id'] = String(lastSeq);
    const response = await transport.send('GET', '/v1/events/stream', {
      query: { ...filterQuery(filters), after_seq: lastSeq },
      headers,
      signal: abort.signal,
      timeoutMs: null,
    });
    if (!response.ok) throw await errorFromResponse(response);
    try {
      for await (const message of parseSse(response.body!)) {
        if (message.retry !== undefined) reconnectMs = message.retry;
        const start = message.comment === undefined ? null : STARTS_AFTER.exec(message.comment);
        if (start && lastSeq === undefined) lastSeq = Number(start[1]);
        if (message.data === undefined) continue;
        const entry = JSON.parse(message.data) as Entry;
        lastSeq = message.id === undefined ? entry.seq : Number(message.id);
        yield entry;
      }
    } catch (error) {
      if (abort.signal.aborted) return;
      const message = `the event stream was cut: ${(error as Error).message}`;
      throw new AuditumError('network_error', message, { cause: error });
    }
  }

  async function* entries(): AsyncGenerator<Entry> {
    if (used) throw new AuditumError('invalid_use', 'an entry stream can be iterated once');
    used = true;
    let failures = 0;
    try {
      while (!abort.signal.aborted) {
        let error: AuditumError | undefined;
        try {
          for await (const entry of connection()) {
            failures = 0;
            yield entry;
          }
        } catch (caught) {
          if (abort.signal.aborted) return;
          if (!(caught instanceof AuditumError) || !caught.retryable) throw caught;
          error = caught;
        }
        if (abort.signal.aborted) return;
        failures += 1;
        // The server's suggested delay, longer (with jitter) while reconnections keep failing.
        const backoff = reconnectMs + retryDelay(failures, transport.retry);
        options.onReconnect?.({ afterSeq: lastSeq, error });
        await pause(Math.max(backoff, error?.retryAfterMs ?? 0), abort.signal);
      }
    } finally {
      abort.abort();
      onEnd?.();
    }
  }

  const iterable = entries();
  return {
    [Symbol.asyncIterator]: () => iterable,
    close: () => {
      abort.abort();
      onEnd?.();
    },
    get lastSeq() {
      return lastSeq;
    },
  };
}

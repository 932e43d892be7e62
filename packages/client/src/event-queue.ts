import { pause, retryDelay, type RetryOptions } from './backoff.ts';
import { AuditumError } from './errors.ts';
import type { Acknowledgement, QueuedEvent } from './types.ts';

/** What record() does when the queue is full: wait for room, or drop the event (reported as an error). */
export type WhenFull = 'wait' | 'drop';

export interface QueueOptions {
  maxBatchSize: number;
  maxBatchBytes: number;
  maxWaitMs: number;
  maxQueueSize: number;
  maxQueueBytes: number;
  whenFull: WhenFull;
  retry: RetryOptions;
}

/** A batch failed and goes again after `delayMs`. */
export interface RetryInfo {
  attempt: number;
  delayMs: number;
  error: AuditumError;
  events: number;
}

export interface QueueDeps {
  options: QueueOptions;
  /** POSTs one batch; one acknowledgement per event, in order; throws an AuditumError. */
  send(events: QueuedEvent[], signal: AbortSignal): Promise<Acknowledgement[]>;
  /** Events given up on (refused, dropped, left unsent) that no recordNow() is waiting for. */
  report(error: AuditumError): void;
  retrying(info: RetryInfo): void;
}

interface Settle {
  resolve(ack: Acknowledgement): void;
  reject(error: AuditumError): void;
}

interface Item {
  event: QueuedEvent;
  bytes: number;
  ordinal: number;
  queuedAt: number;
  /** recordNow()'s promise. */
  settle?: Settle;
}

/** Room for the `{"events":[...]}` around a batch. */
const BODY_OVERHEAD = 16;

/**
 * The client's outbox: events queue in memory (bounded in entries and bytes, in flight included) and
 * go in batches, one request at a time so the chain keeps their order: when a batch is full, when the
 * oldest has waited maxWaitMs, or at once for flush(), recordNow() and close(). A failed batch is sent
 * again, with the same ids, after a backoff; a 400 naming some of its events drops those and sends the rest,
 * and a 413 (too large for the server) sends it in halves.
 */
export function createEventQueue(deps: QueueDeps) {
  const { options } = deps;
  const queued: Item[] = [];
  let inFlight: Item[] = [];
  const waiters: Array<{ item: Item; admitted(queued: boolean): void }> = [];
  let bytes = 0;
  let queuedBytes = 0;
  let nextOrdinal = 0;
  /** Batches go without waiting while an item before this ordinal is unsettled (someone awaits them). */
  let sendNowUntil = 0;
  /** The next batch goes without waiting, once (the process is about to exit). */
  let nudged = false;
  /** Set and cleared by the send loop itself, in the same turn as its last check of the queue. */
  let running = false;
  let loop: Promise<void> = Promise.resolve();
  let backingOff = false;
  let closed = false;
  let wake: (() => void) | undefined;
  const stop = new AbortController();
  const flushes: Array<{ target: number; resolve(): void }> = [];
  const counts = { sent: 0, dropped: 0, failed: 0 };

  const lowestUnsettled = () => (inFlight[0] ?? queued[0] ?? waiters[0]?.item)?.ordinal ?? nextOrdinal;
  const fits = (item: Item) =>
    queued.length + inFlight.length === 0 ||
    (queued.length + inFlight.length < options.maxQueueSize && bytes + item.bytes <= options.maxQueueBytes);

  /** Queues `event`; true once it is queued, false when it was refused (reported, or recordNow's rejection). */
  function add(event: QueuedEvent, settle?: Settle): Promise<boolean> {
    const refuse = (code: string, message: string) => {
      const error = new AuditumError(code, message, { events: [event] });
      if (settle) settle.reject(error);
      else deps.report(error);
      counts.dropped += 1;
      return Promise.resolve(false);
    };
    if (closed) return refuse('closed', 'the client is closed');
    let bytesOf: number;
    try {
      bytesOf = Buffer.byteLength(JSON.stringify(event)) + 1;
    } catch (error) {
      return refuse('invalid_event', `the event cannot be sent as JSON: ${(error as Error).message}`);
    }
    if (bytesOf + BODY_OVERHEAD > options.maxBatchBytes) {
      const limit = options.maxBatchBytes;
      return refuse('event_too_large', `the event is ${bytesOf} bytes serialized, more than maxBatchBytes (${limit})`);
    }
    const item: Item = { event, bytes: bytesOf, ordinal: -1, queuedAt: 0, settle };
    if (waiters.length === 0 && fits(item)) {
      enqueue(item);
      return Promise.resolve(true);
    }
    if (options.whenFull === 'drop') {
      const held = `${queued.length + inFlight.length} events, ${bytes} bytes`;
      return refuse('queue_full', `the queue is full (${held}): the event was dropped`);
    }
    item.ordinal = nextOrdinal++;
    if (settle) sendNowUntil = Math.max(sendNowUntil, item.ordinal + 1);
    return new Promise((resolve) => waiters.push({ item, admitted: resolve }));
  }

  function enqueue(item: Item): void {
    if (item.ordinal < 0) item.ordinal = nextOrdinal++;
    if (item.settle) sendNowUntil = Math.max(sendNowUntil, item.ordinal + 1);
    item.queuedAt = Date.now();
    queued.push(item);
    bytes += item.bytes;
    queuedBytes += item.bytes;
    if (running) {
      if (ready()) wake?.();
      return;
    }
    running = true;
    loop = run();
  }

  function ready(): boolean {
    if (queued.length === 0) return false;
    const full = queued.length >= options.maxBatchSize || queuedBytes + BODY_OVERHEAD >= options.maxBatchBytes;
    if (closed || full) return true;
    return nudged || awaited() || Date.now() >= queued[0]!.queuedAt + options.maxWaitMs;
  }

  const awaited = () => lowestUnsettled() < sendNowUntil;

  /** Waits until the oldest queued event is due, or until wake(). */
  function idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => wake?.(), Math.max(0, queued[0]!.queuedAt + options.maxWaitMs - Date.now()));
      timer.unref();
      wake = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
    });
  }

  async function run(): Promise<void> {
    try {
      while (queued.length > 0 && !stop.signal.aborted) {
        if (!ready()) {
          await idle();
          continue;
        }
        nudged = false;
        inFlight = take();
        await deliver();
        admitWaiters();
        settleFlushes();
      }
    } finally {
      running = false;
      settleFlushes();
    }
  }

  /** The next batch: the oldest events, as many as maxBatchSize and maxBatchBytes allow (at least one). */
  function take(): Item[] {
    let size = BODY_OVERHEAD + queued[0]!.bytes;
    let count = 1;
    const fitsBatch = () => count < options.maxBatchSize && size + queued[count]!.bytes <= options.maxBatchBytes;
    while (count < queued.length && fitsBatch()) {
      size += queued[count]!.bytes;
      count += 1;
    }
    const batch = queued.splice(0, count);
    queuedBytes -= size - BODY_OVERHEAD;
    return batch;
  }

  /** Sends the batch in flight until it is acknowledged or given up on. */
  async function deliver(): Promise<void> {
    for (let attempt = 1; inFlight.length > 0; attempt++) {
      let error: AuditumError;
      try {
        const acks = await deps.send(inFlight.map((item) => item.event), stop.signal);
        inFlight.forEach((item, i) => item.settle?.resolve(acks[i]!));
        counts.sent += inFlight.length;
        settled(inFlight);
        return;
      } catch (caught) {
        const unexpected = () => new AuditumError('internal', String(caught), { cause: caught });
        error = caught instanceof AuditumError ? caught : unexpected();
      }
      if (stop.signal.aborted) return giveUp(inFlight, unsent(inFlight.length, error));
      if (error.status === 413 && inFlight.length > 1) {
        // Too big for the server's body limit: the second half goes back to the front of the queue.
        const back = inFlight.splice(Math.ceil(inFlight.length / 2));
        queued.unshift(...back);
        for (const item of back) queuedBytes += item.bytes;
        attempt = 0;
        continue;
      }
      const refused = refusedIndexes(error, inFlight.length);
      if (refused) {
        giveUp(inFlight.filter((_, i) => refused.has(i)), error);
        attempt = 0;
        continue;
      }
      if (!error.retryable || attempt >= options.retry.maxAttempts) return giveUp(inFlight, error);
      const delayMs = retryDelay(attempt, options.retry, error.retryAfterMs);
      deps.retrying({ attempt, delayMs, error, events: inFlight.length });
      backingOff = true;
      // The wait keeps the process alive only while someone awaits these events (recordNow, flush, close).
      await pause(delayMs, stop.signal, awaited());
      backingOff = false;
    }
  }

  function settled(items: Item[]): void {
    const gone = new Set(items);
    for (const item of items) bytes -= item.bytes;
    inFlight = inFlight.filter((item) => !gone.has(item));
  }

  function giveUp(items: Item[], error: AuditumError): void {
    settled(items);
    fail(items, error);
  }

  /** Rejects recordNow()'s promises and reports the other events. */
  function fail(items: Item[], error: AuditumError): void {
    if (items.length === 0) return;
    counts.failed += items.length;
    for (const item of items) item.settle?.reject(error.about([item.event]));
    const unclaimed = items.filter((item) => !item.settle).map((item) => item.event);
    if (unclaimed.length > 0) deps.report(error.about(unclaimed));
  }

  function admitWaiters(): void {
    while (waiters.length > 0 && fits(waiters[0]!.item)) {
      const waiter = waiters.shift()!;
      enqueue(waiter.item);
      waiter.admitted(true);
    }
  }

  function settleFlushes(): void {
    const lowest = lowestUnsettled();
    for (let i = flushes.length - 1; i >= 0; i--) {
      if (flushes[i]!.target <= lowest) flushes.splice(i, 1)[0]!.resolve();
    }
  }

  /** Sends what is queued now without waiting; resolves once each of those events is acknowledged or given up on. */
  function flush(): Promise<void> {
    const target = nextOrdinal;
    sendNowUntil = Math.max(sendNowUntil, target);
    wake?.();
    return new Promise((resolve) => {
      flushes.push({ target, resolve });
      settleFlushes();
    });
  }

  /** Sends the queued events now, unless a failed batch is waiting for its next try. */
  function nudge(): void {
    if (backingOff || queued.length === 0) return;
    nudged = true;
    wake?.();
  }

  /** Refuses new events and flushes; after `timeoutMs`, stops and reports what is left as `unsent`. */
  async function close(timeoutMs: number): Promise<void> {
    closed = true;
    const deadline = new AbortController();
    const drained = flush().then(() => deadline.abort());
    await Promise.race([drained, pause(timeoutMs, deadline.signal)]);
    if (pending() === 0) return;
    stop.abort();
    await loop;
    const rest = queued.splice(0);
    for (const item of rest) bytes -= item.bytes;
    queuedBytes = 0;
    const waiting = waiters.splice(0);
    const left = [...rest, ...waiting.map((w) => w.item)];
    fail(left, unsent(left.length));
    for (const waiter of waiting) waiter.admitted(false);
    settleFlushes();
  }

  /** Events not yet acknowledged or given up on: queued, in flight and waiting for room. */
  const pending = () => queued.length + inFlight.length + waiters.length;

  /** What the queue holds and has done. */
  const stats = () => ({ queued: queued.length + inFlight.length, waiting: waiters.length, bytes, ...counts });

  return { add, flush, nudge, close, pending, stats };
}

export type EventQueue = ReturnType<typeof createEventQueue>;

/** The batch indexes a 400 names, when it names only events of the batch (the others were valid). */
function refusedIndexes(error: AuditumError, size: number): Set<number> | undefined {
  if (error.status !== 400 || !error.details?.length) return undefined;
  const indexes = error.details.map((d) => d.index);
  if (!indexes.every((i): i is number => Number.isInteger(i) && i! >= 0 && i! < size)) return undefined;
  return new Set(indexes);
}

function unsent(count: number, cause?: AuditumError): AuditumError {
  const message = `${count} event(s) were not acknowledged before the client closed; any in flight may still `
    + 'have been stored, and sending them again with the same ids is safe';
  return new AuditumError('unsent', message, { cause });
}

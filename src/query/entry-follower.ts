import type { Entry } from '../events/event.schemas.ts';
import type { EventStore } from '../events/event-store.ts';
import { matchesFilter, type EventFilter } from './event-filter.ts';

/** Entries read per step while catching up. */
const STEP = 200;

export interface FollowOptions {
  /** Where to start: entries with a seq above it. */
  afterSeq: number;
  /** Stops the follower (the client went away, the server is stopping). */
  signal: AbortSignal;
  /**
   * The fallback for appends this process is not told about (another server, the CLI), ms.
   * Appends here wake the follower at once.
   */
  pollMs?: number;
}

/**
 * Follows one organization's chain in seq order from `afterSeq`, yielding each entry that
 * matches the filter (its one meaning, matchesFilter) once it is committed; then waits for the
 * next append. Returns when the signal aborts. Memory is bounded by one step of entries.
 */
export async function* followEntries(store: EventStore, orgId: string, filter: EventFilter, options: FollowOptions): AsyncGenerator<Entry> {
  const { signal } = options;
  const pollMs = options.pollMs ?? 1000;
  const matches = matchesFilter(filter);
  let cursor = options.afterSeq;
  /** Set by an append here; an append between a read and the wait is not slept through. */
  let appended = false;
  let wake: (() => void) | undefined;
  const unsubscribe = store.onAppend((org) => {
    if (org !== orgId) return;
    appended = true;
    wake?.();
  });
  const nextAppend = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, pollMs);
      signal.addEventListener('abort', done, { once: true });
      wake = done;
    });
  try {
    while (!signal.aborted) {
      appended = false;
      const entries = await store.bySeq(orgId, cursor, STEP);
      for (const entry of entries) {
        cursor = entry.seq;
        if (matches(entry)) yield entry;
        if (signal.aborted) return;
      }
      if (entries.length < STEP && !appended) await nextAppend();
    }
  } finally {
    unsubscribe();
  }
}

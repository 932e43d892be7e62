/** The live stream of new entries (GET /v1/events/stream), read with fetch so a viewer token can go along. */
import { createParser } from 'eventsource-parser';
import { useEffect, useRef } from 'react';
import { readHeaders } from '../lib/api.ts';
import type { Entry } from '../lib/types.ts';

/** Entries are handed over at most this often, so a burst re-renders the table once, not per entry. */
const FLUSH_MS = 250;
/** Wait before reconnecting after the stream ended or failed (the server restarting, the network gone). */
const RECONNECT_MS = 2000;

/**
 * While `enabled`, follows the entries matching `query` that are committed after `afterSeq`
 * (null: after the chain's head when the stream opens, which the server says in its first
 * comment), resuming from the last one received after a reconnect, and passes them to
 * `onEntries` in batches, oldest first. `afterSeq` undefined: wait (the list has not loaded yet).
 */
export function useEventStream(query: string, afterSeq: number | null | undefined, enabled: boolean, onEntries: (entries: Entry[]) => void) {
  const deliver = useRef(onEntries);
  deliver.current = onEntries;
  const ready = enabled && afterSeq !== undefined;
  useEffect(() => {
    if (!ready) return;
    const stop = new AbortController();
    let last: number | null = afterSeq!;
    let pending: Entry[] = [];
    const flush = setInterval(() => {
      if (pending.length === 0) return;
      const batch = pending;
      pending = [];
      deliver.current(batch);
    }, FLUSH_MS);
    const parser = createParser({
      onEvent: (event) => {
        const entry = JSON.parse(event.data) as Entry;
        last = Math.max(last ?? 0, entry.seq);
        pending.push(entry);
      },
      onComment: (comment) => {
        const start = /^streaming entries after seq (\d+)/.exec(comment);
        if (start && last === null) last = Number(start[1]);
      },
    });
    (async () => {
      while (!stop.signal.aborted) {
        try {
          const from = last === null ? '' : `&after_seq=${last}`;
          const response = await fetch(`/v1/events/stream?${query}${from}`, {
            headers: { accept: 'text/event-stream', ...readHeaders() },
            credentials: 'same-origin',
            signal: stop.signal,
          });
          if (response.ok && response.body) {
            const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
            for (;;) {
              const { done, value } = await reader.read();
              if (done) break;
              parser.feed(value);
            }
          }
        } catch {
          // The stream broke (network, server restart); the loop reconnects from the last entry received.
        }
        parser.reset();
        await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
      }
    })();
    return () => {
      stop.abort();
      clearInterval(flush);
    };
    // A new query or a new starting point is a new stream; afterSeq is read once when it starts.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [query, ready]);
}

import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** A Server-Sent Events client over fetch, parsed with eventsource-parser (an independent reader). */
export interface StreamClient {
  status: number;
  headers: Headers;
  /** The JSON error body when the server refused the stream. */
  error?: any;
  events: EventSourceMessage[];
  comments: string[];
  /** Resolves when the server ends the stream (or it is closed here). */
  ended: Promise<void>;
  close(): void;
}

export async function openStream(url: string, headers: Record<string, string> = {}): Promise<StreamClient> {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const events: EventSourceMessage[] = [];
  const comments: string[] = [];
  const close = () => abort.abort();
  if (response.status !== 200) {
    const error = await response.json().catch(() => null);
    return { status: response.status, headers: response.headers, error, events, comments, ended: Promise.resolve(), close };
  }
  const parser = createParser({ onEvent: (event) => events.push(event), onComment: (comment) => comments.push(comment) });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const ended = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        parser.feed(value);
      }
    } catch {
      // The connection was cut (the server stopped, or close() here): for SSE that is how a stream ends.
    }
  })();
  return { status: 200, headers: response.headers, events, comments, ended, close };
}

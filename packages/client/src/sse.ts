import { textChunks } from './text-chunks.ts';

/** One Server-Sent Events message, or a comment line (`: ...`). */
export interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  retry?: number;
  comment?: string;
}

/** The lines of a text stream, ending in CRLF, LF or CR (a CR at a chunk's end waits for a possible LF). */
async function* lines(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let buffer = '';
  for await (const chunk of chunks) {
    buffer += chunk;
    for (;;) {
      const end = buffer.search(/[\r\n]/);
      if (end < 0 || (buffer[end] === '\r' && end === buffer.length - 1)) break;
      yield buffer.slice(0, end);
      buffer = buffer.slice(end + (buffer.startsWith('\r\n', end) ? 2 : 1));
    }
  }
}

/**
 * Parses a text/event-stream body as the HTML standard's event stream interpretation does: `data`
 * lines join with LF, a blank line dispatches, comments come out as they arrive. Stopping early
 * cancels the body, which closes its connection.
 */
export async function* parseSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  let message: SseMessage = {};
  let data: string[] = [];
  for await (const line of lines(textChunks(body))) {
    if (line === '') {
      if (data.length > 0) yield { ...message, data: data.join('\n') };
      else if (message.retry !== undefined) yield { retry: message.retry };
      message = {};
      data = [];
    } else if (line.startsWith(':')) {
      yield { comment: line.slice(1).trimStart() };
    } else {
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const raw = colon < 0 ? '' : line.slice(colon + 1);
      const text = raw.startsWith(' ') ? raw.slice(1) : raw;
      if (field === 'data') data.push(text);
      else if (field === 'id' && !text.includes('\0')) message.id = text;
      else if (field === 'event') message.event = text;
      else if (field === 'retry' && /^\d+$/.test(text)) message.retry = Number(text);
    }
  }
}

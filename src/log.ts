import fs from 'node:fs';
import os from 'node:os';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';

/** Query parameters that carry credentials (viewer JWTs in /embed, invite and setup tokens). */
const SECRET_PARAMS = /([?&](?:token|access_token|id_token|code|secret|client_secret|password|key)=)[^&#]*/gi;

/** A request URL as it may be logged: credential-bearing query values become `[redacted]`. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_PARAMS, '$1[redacted]');
}

interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/**
 * Structured JSON-lines logger; credentials in headers and in request URLs are redacted. Writes to a
 * LogSink on stdout unless told otherwise.
 */
export function createLogger(level: string, destination: pino.DestinationStream = createLogSink()): FastifyBaseLogger {
  return pino(
    {
      level,
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization'], censor: '[redacted]' },
      serializers: {
        req: (req: LoggedRequest) => ({
          method: req.method,
          url: req.url === undefined ? undefined : redactUrl(req.url),
          host: req.host,
          remoteAddress: req.ip,
          remotePort: req.socket?.remotePort,
        }),
      },
    },
    destination,
  ) as FastifyBaseLogger;
}

export interface LogSinkOptions {
  /** File descriptor to write to (default 1, stdout). */
  fd?: number;
  /** Lines waiting for the destination beyond this many bytes are dropped instead of queued. */
  maxQueuedBytes?: number;
}

export interface LogSink extends pino.DestinationStream {
  /** Lines dropped and not yet reported. */
  readonly dropped: number;
  /** Calls back once everything queued has been written (or dropped); pino's logger.flush() uses it. */
  flush(callback?: (error?: Error) => void): void;
}

/** How long to wait before writing again to a pipe that is full (EAGAIN). */
const BUSY_RETRY_MS = 20;

/**
 * A log destination that never stops or crashes the server. Lines are written in order by
 * asynchronous writes, so a slow destination never blocks request handling. When the
 * destination fails (ENOSPC on a full disk, EPIPE when the reader is gone, ...) or falls more
 * than `maxQueuedBytes` behind, lines are dropped and counted; the first write that works
 * again is preceded by one line saying how many were lost and why.
 */
export function createLogSink(options: LogSinkOptions = {}): LogSink {
  const fd = options.fd ?? 1;
  const maxQueuedBytes = options.maxQueuedBytes ?? 8 * 1024 * 1024;
  let queue: string[] = [];
  let queuedBytes = 0;
  let writing = false;
  let dropped = 0;
  let dropReason = '';
  /** The last failed write stopped inside a line: the next write starts a fresh one. */
  let brokenLine = false;
  const waiting: Array<(error?: Error) => void> = [];

  function drop(lines: number, reason: string) {
    dropped += lines;
    dropReason ||= reason;
  }

  function write(line: string): boolean {
    if (queuedBytes + line.length > maxQueuedBytes) drop(1, 'the log destination fell behind');
    else {
      queue.push(line);
      queuedBytes += line.length;
      if (!writing) writeNext();
    }
    return true;
  }

  function writeNext() {
    if (queue.length === 0) {
      writing = false;
      for (const done of waiting.splice(0)) done();
      return;
    }
    writing = true;
    const lines = queue;
    queue = [];
    queuedBytes = 0;
    const reported = dropped;
    const head = `${brokenLine ? '\n' : ''}${reported > 0 ? droppedLine(reported, dropReason) : ''}`;
    const chunk = Buffer.from(head + lines.join(''));
    const headBytes = Buffer.byteLength(head);
    writeFrom(chunk, 0, (error, written) => {
      if (reported > 0 && written >= headBytes) {
        dropped -= reported;
        if (dropped === 0) dropReason = '';
      }
      if (error) {
        brokenLine = written > 0 && chunk[written - 1] !== 0x0a;
        drop(lines.length - completeLines(chunk, headBytes, written), error.code ? `${error.code}: ${error.message}` : error.message);
      } else brokenLine = false;
      writeNext();
    });
  }

  /** Writes `chunk` from `offset` to the end, across partial writes; reports how far it got. */
  function writeFrom(chunk: Buffer, offset: number, done: (error: NodeJS.ErrnoException | null, written: number) => void) {
    fs.write(fd, chunk, offset, chunk.length - offset, null, (error, bytes) => {
      if (error?.code === 'EAGAIN') return void setTimeout(() => writeFrom(chunk, offset, done), BUSY_RETRY_MS);
      if (error) return done(error, offset);
      if (offset + bytes < chunk.length) return writeFrom(chunk, offset + bytes, done);
      done(null, chunk.length);
    });
  }

  return {
    write,
    get dropped() {
      return dropped;
    },
    flush(callback = () => {}) {
      if (!writing) callback();
      else waiting.push(callback);
    },
  };
}

/** Lines of `chunk` after `from` that ended before byte `written`. */
function completeLines(chunk: Buffer, from: number, written: number): number {
  let count = 0;
  for (let i = chunk.indexOf(0x0a, from); i !== -1 && i < written; i = chunk.indexOf(0x0a, i + 1)) count += 1;
  return count;
}

/** The report of lost lines, in pino's line format, at warn level. */
function droppedLine(count: number, reason: string): string {
  const msg = `${count} log lines could not be written and were dropped`;
  return `${JSON.stringify({ level: 40, time: Date.now(), pid: process.pid, hostname: os.hostname(), dropped: count, reason, msg })}\n`;
}

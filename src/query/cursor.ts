import { ValidationError } from '../errors.ts';
import type { PageKey } from '../events/event-query.ts';

/** Opaque page cursor: base64url of `[occurred_at_ms, seq]`. */
export function encodeCursor(key: PageKey): string {
  return Buffer.from(JSON.stringify([key.occurredAt, key.seq])).toString('base64url');
}

export function decodeCursor(cursor: string): PageKey {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && value.every((n) => Number.isSafeInteger(n) && n >= 0)) {
      return { occurredAt: value[0], seq: value[1] };
    }
  } catch {
    // fall through to the error below: any undecodable cursor is the client's mistake
  }
  throw new ValidationError('invalid cursor: pass next_cursor from a previous page unchanged', [{ field: 'cursor', message: 'invalid cursor' }]);
}

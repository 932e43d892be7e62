import { ValidationError } from '../errors.ts';

/** Opaque page cursor: base64url of the last row's time-ordered key. */
export function encodeCursor(pk: number): string {
  return Buffer.from(`k${pk}`).toString('base64url');
}

export function decodeCursor(cursor: string): number {
  const match = /^k(\d{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const pk = match ? Number(match[1]) : NaN;
  if (!Number.isSafeInteger(pk)) {
    throw new ValidationError('invalid cursor: pass next_cursor from a previous page unchanged', [{ field: 'cursor', message: 'invalid cursor' }]);
  }
  return pk;
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../src/errors.ts';
import { decodeCursor, encodeCursor } from '../../src/query/cursor.ts';
import { eventFilterQuerySchema, rangeStart, toEventFilter } from '../../src/query/event-filter.schemas.ts';

describe('event filter parsing', () => {
  it('splits exact types from prefixes and keeps repeated parameters', () => {
    const query = eventFilterQuerySchema.parse({ type: ['user.login', 'flow.*'], result: 'failed' });
    const filter = toEventFilter(query);
    assert.deepEqual(filter.types, ['user.login']);
    assert.deepEqual(filter.typePrefixes, ['flow.']);
    assert.deepEqual(filter.results, ['failed']);
  });

  it('turns named ranges into UTC bounds', () => {
    const now = Date.UTC(2026, 10, 22, 15, 30);
    assert.equal(rangeStart('24h', now), now - 86_400_000);
    assert.equal(rangeStart('7d', now), now - 7 * 86_400_000);
    assert.equal(rangeStart('this_month', now), Date.UTC(2026, 10, 1));
  });

  it('rejects range together with from/to, and from after to', () => {
    assert.throws(() => toEventFilter(eventFilterQuerySchema.parse({ range: '7d', from: '2026-01-01T00:00:00Z' })), AppError);
    assert.throws(
      () => toEventFilter(eventFilterQuerySchema.parse({ from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' })),
      /from must be before to/,
    );
  });

  it('rejects malformed types and unknown parameters', () => {
    assert.equal(eventFilterQuerySchema.safeParse({ type: 'User Login' }).success, false);
    assert.equal(eventFilterQuerySchema.safeParse({ types: 'user.login' }).success, false);
    assert.equal(eventFilterQuerySchema.safeParse({ result: 'maybe' }).success, false);
  });

  it('round-trips cursors and rejects forged ones', () => {
    const key = 1_790_000_000_000 * 1024 + 42;
    assert.equal(decodeCursor(encodeCursor(key)), key);
    for (const bad of ['', 'not-base64!', Buffer.from('k').toString('base64url'), Buffer.from('k-1').toString('base64url'), Buffer.from('k99999999999999999').toString('base64url')]) {
      assert.throws(() => decodeCursor(bad), /invalid cursor/);
    }
  });
});

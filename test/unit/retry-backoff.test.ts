import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_RETRY_AFTER_MS, parseRetryAfter, retryDelayMs } from '../../src/jobs/retry-backoff.ts';

describe('retryDelayMs', () => {
  const base = { baseMs: 1000, maxMs: 60_000 };
  it('doubles per failure, with jitter in the upper half', () => {
    assert.equal(retryDelayMs({ ...base, attempt: 1, random: () => 0 }), 500);
    assert.equal(retryDelayMs({ ...base, attempt: 1, random: () => 0.999999 }), 1000);
    assert.equal(retryDelayMs({ ...base, attempt: 2, random: () => 0 }), 1000);
    assert.equal(retryDelayMs({ ...base, attempt: 4, random: () => 0.5 }), 6000);
  });
  it('is capped at maxMs, however many failures', () => {
    assert.equal(retryDelayMs({ ...base, attempt: 7, random: () => 0.999999 }), 60_000);
    assert.equal(retryDelayMs({ ...base, attempt: 1_000, random: () => 0 }), 30_000);
  });
  it('stays within [ceiling/2, ceiling] for random jitter', () => {
    for (let i = 0; i < 200; i++) {
      const d = retryDelayMs({ ...base, attempt: 3 });
      assert.ok(d >= 2000 && d <= 4000, String(d));
    }
  });
  it('honours Retry-After instead, up to an hour', () => {
    assert.equal(retryDelayMs({ ...base, attempt: 5, retryAfterMs: 2000 }), 2000);
    assert.equal(retryDelayMs({ ...base, attempt: 1, retryAfterMs: 0 }), 0);
    assert.equal(retryDelayMs({ ...base, attempt: 1, retryAfterMs: 10 * MAX_RETRY_AFTER_MS }), MAX_RETRY_AFTER_MS);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now), 10_000);
    assert.equal(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now), 0);
  });
  it('ignores what it cannot read', () => {
    assert.equal(parseRetryAfter(undefined), undefined);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter('-1'), undefined);
  });
});

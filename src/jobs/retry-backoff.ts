/** How long to wait after a failed attempt (OTEL delivery, jobs, webhooks): the one place retry timing is decided. */
export interface BackoffInput {
  /** 1 for the first failure in a row, 2 for the second, ... */
  attempt: number;
  baseMs: number;
  maxMs: number;
  /** From a Retry-After header, when the receiver sent one: it knows its own load best. */
  retryAfterMs?: number;
  /** A number in [0, 1); injectable so tests are deterministic. */
  random?: () => number;
}

/** Retry-After is honoured up to this long; a longer value is treated as this, so a typo cannot stall export for days. */
export const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/**
 * Exponential backoff with "equal jitter": the delay doubles per failure up to `maxMs`, and a random
 * half of it is added so many instances recovering together do not retry in lockstep.
 * A Retry-After value replaces the computed delay (never shorter than it asks).
 */
export function retryDelayMs({ attempt, baseMs, maxMs, retryAfterMs, random = Math.random }: BackoffInput): number {
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) {
    return Math.min(retryAfterMs, MAX_RETRY_AFTER_MS);
  }
  const exponent = Math.max(0, Math.min(attempt - 1, 30));
  const ceiling = Math.min(maxMs, baseMs * 2 ** exponent);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Parses a Retry-After header (delay-seconds or an HTTP-date) to milliseconds from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // An HTTP-date names its day and month; Date.parse alone would accept strings like "-1".
  const at = /^[A-Za-z]{3}, /.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** The longest pause of a background loop whose rounds keep failing (storage full, database locked). */
export const FAILED_ROUND_MAX_MS = 60_000;

/** The pause after the `failures`-th failed round in a row of a loop that normally runs every `baseMs`. */
export function failedRoundDelayMs(failures: number, baseMs: number): number {
  return retryDelayMs({ attempt: failures, baseMs, maxMs: Math.max(baseMs, FAILED_ROUND_MAX_MS) });
}

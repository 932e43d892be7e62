/** How requests are retried: exponential backoff with full jitter, never sooner than Retry-After asks. */
export interface RetryOptions {
  /** The first retry waits up to this long (ms); each further one doubles the bound. Default 200. */
  baseDelayMs: number;
  /** The bound stops doubling here (ms). Default 30,000. */
  maxDelayMs: number;
  /** Tries of one batch in all, the first included. Default Infinity (the bounded queue decides what gives). */
  maxAttempts: number;
  /** A Retry-After longer than this (ms) is taken as this. Default 60,000. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryOptions = {
  baseDelayMs: 200,
  maxDelayMs: 30_000,
  maxAttempts: Infinity,
  maxRetryAfterMs: 60_000,
};

/**
 * The wait before try `attempt + 1` after `attempt` failed: a random delay in [0, min(max, base * 2^(attempt-1)))
 * (full jitter, so clients that failed together do not come back together), or the server's Retry-After
 * when that is longer.
 */
export function retryDelay(
  attempt: number,
  options: RetryOptions,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  const bound = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.min(attempt - 1, 30));
  const jittered = Math.floor(random() * bound);
  if (retryAfterMs === undefined) return jittered;
  return Math.max(jittered, Math.min(retryAfterMs, options.maxRetryAfterMs));
}

/** Resolves after `ms`, or at once when `signal` aborts; with `keepAlive` false the timer lets the process exit. */
export function pause(ms: number, signal?: AbortSignal, keepAlive = true): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    if (!keepAlive) timer.unref();
    signal?.addEventListener('abort', done, { once: true });
  });
}

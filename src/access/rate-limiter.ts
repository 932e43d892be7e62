/**
 * Counts failures per key in a sliding window (in memory: one server process owns the
 * database). `blockedFor` says how long a key must wait, or 0.
 */
export function createRateLimiter(options: { max: number; windowMs: number; maxKeys?: number }) {
  const failures = new Map<string, number[]>();
  const maxKeys = options.maxKeys ?? 100_000;

  const recent = (key: string, now: number) => (failures.get(key) ?? []).filter((t) => now - t < options.windowMs);

  return {
    /** Milliseconds until `key` may try again (0 when allowed). */
    blockedFor(key: string, now = Date.now()): number {
      const times = recent(key, now);
      if (times.length < options.max) return 0;
      return options.windowMs - (now - times[times.length - options.max]!);
    },
    fail(key: string, now = Date.now()): void {
      if (!failures.has(key) && failures.size >= maxKeys) failures.delete(failures.keys().next().value!);
      failures.set(key, [...recent(key, now), now]);
    },
    reset(key: string): void {
      failures.delete(key);
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;

/**
 * Where the state behind sign-in limits lives. Asynchronous so that a shared store (a database
 * table, Redis) can replace the in-memory one when several servers answer sign-ins; such a store
 * must keep a check and the record that follows it atomic, as the in-memory one does by doing no I/O.
 */
export interface LoginLimitStore {
  /** Times of the failures recorded under `key` within the window, oldest first. */
  failures(key: string, now: number): Promise<number[]>;
  /** Records a failure under `key`; only the newest `keep` are kept (a limit never needs more). */
  addFailure(key: string, now: number, keep: number): Promise<void>;
  /** Takes back one failure recorded at `at` (the attempt turned out to be a success). */
  removeFailure(key: string, at: number): Promise<void>;
  clearFailures(key: string): Promise<void>;
  /** Remembers that `account` signed in successfully from `ip`. */
  rememberIp(account: string, ip: string, now: number): Promise<void>;
  /** Whether `account` signed in successfully from `ip` within the known-IP lifetime. */
  knownIp(account: string, ip: string, now: number): Promise<boolean>;
  /**
   * Books the account's next sign-in attempt `gapMs` after the one booked before it and answers how
   * long this attempt must wait for its turn; null (and nothing booked) when that is over `maxWaitMs`.
   */
  book(account: string, gapMs: number, maxWaitMs: number, now: number): Promise<number | null>;
}

export interface MemoryStoreOptions {
  windowMs: number;
  /** How long a successful sign-in keeps its IP known for that account. */
  knownIpMs: number;
  /** Most keys kept per map; the least recently touched is forgotten first. */
  maxKeys?: number;
}

/** A Map that forgets its least recently written key beyond `max` entries. */
function boundedMap<V>(max: number) {
  const map = new Map<string, V>();
  return {
    get: (key: string) => map.get(key),
    set(key: string, value: V) {
      map.delete(key);
      if (map.size >= max) map.delete(map.keys().next().value!);
      map.set(key, value);
    },
    delete: (key: string) => map.delete(key),
  };
}

/**
 * The in-memory store: right for one server process. Memory is bounded by `maxKeys` per map
 * (failures, known IPs, bookings), each failure list by its `keep`. State is lost on restart.
 */
export function createMemoryLoginLimitStore(options: MemoryStoreOptions): LoginLimitStore {
  const maxKeys = options.maxKeys ?? 100_000;
  const failures = boundedMap<number[]>(maxKeys);
  const known = boundedMap<number>(maxKeys);
  const bookings = boundedMap<number>(maxKeys);
  const recent = (key: string, now: number) => (failures.get(key) ?? []).filter((t) => now - t < options.windowMs);
  const knownKey = (account: string, ip: string) => `${account}\n${ip}`;

  return {
    async failures(key, now) {
      return recent(key, now);
    },
    async addFailure(key, now, keep) {
      failures.set(key, [...recent(key, now), now].slice(-keep));
    },
    async removeFailure(key, at) {
      const times = failures.get(key);
      const index = times?.lastIndexOf(at) ?? -1;
      if (times && index >= 0) times.splice(index, 1);
    },
    async clearFailures(key) {
      failures.delete(key);
    },
    async rememberIp(account, ip, now) {
      known.set(knownKey(account, ip), now);
    },
    async knownIp(account, ip, now) {
      const at = known.get(knownKey(account, ip));
      return at !== undefined && now - at < options.knownIpMs;
    },
    async book(account, gapMs, maxWaitMs, now) {
      const wait = Math.max(0, (bookings.get(account) ?? 0) - now);
      if (wait > maxWaitMs) return null;
      bookings.set(account, now + wait + gapMs);
      return wait;
    },
  };
}

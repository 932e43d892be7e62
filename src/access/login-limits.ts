import { setTimeout as sleepMs } from 'node:timers/promises';
import { retryDelayMs } from '../jobs/retry-backoff.ts';
import type { LoginLimitStore } from './login-limit-store.ts';

export interface LoginLimitOptions {
  /** Failures allowed for one account from one source (an IP, or a known device) in the window. */
  maxFailures: number;
  /** Failures allowed from one IP over all accounts in the window; sources the account knows are exempt. */
  maxFailuresPerIp: number;
  windowMs: number;
  /** The account-wide backoff between attempts from unknown sources: first gap, and the cap (also the longest wait). */
  backoffBaseMs: number;
  backoffMaxMs: number;
}

/** Who is trying to sign in, from where. */
export interface SignInSource {
  /** The normalized email. */
  account: string;
  ip: string;
  /** Set only when the request carried a valid device cookie of this account. */
  deviceId?: string;
}

/** An admitted attempt: its failure is already counted, and taken back by `succeeded`. */
export interface Ticket {
  source: SignInSource;
  at: number;
}

export type Admission = { admitted: true; ticket: Ticket } | { admitted: false; retryAfterMs: number };

/**
 * Failures kept per key beyond its limit: known sources may go past the limit, and a success takes its
 * own attempt back, which must not drop an older failure; past the limit plus this, counts no longer matter.
 */
const KEEP_EXTRA = 64;

/**
 * Sign-in limits that slow an attacker without locking the owner out:
 * - per (account, source): `maxFailures` in the window, then 429. The source is the device when
 *   the request carries a valid device cookie of the account, else the IP, so an attacker elsewhere
 *   (or behind the same proxy) cannot use up the owner's allowance;
 * - per IP over all accounts: `maxFailuresPerIp`, then 429, except for an IP the account has signed in
 *   from recently or a known device (a shared office or proxy IP does not lock everyone out);
 * - per account from anywhere: after `maxFailures` failures, attempts from unknown sources are spaced
 *   by an exponential backoff with jitter (capped at `backoffMaxMs`); one that would wait longer than
 *   the cap for its turn gets 429. Known devices and IPs skip this queue.
 */
export function createLoginLimits(deps: {
  store: LoginLimitStore;
  options: LoginLimitOptions;
  random?: () => number;
  sleep?: (ms: number) => Promise<unknown>;
}) {
  const { store, options } = deps;
  const sleep = deps.sleep ?? ((ms: number) => sleepMs(ms));
  const pairKey = (s: SignInSource) => `pair\n${s.account}\n${s.deviceId ? `device:${s.deviceId}` : `ip:${s.ip}`}`;
  const ipKey = (s: SignInSource) => `ip\n${s.ip}`;
  const accountKey = (s: SignInSource) => `account\n${s.account}`;
  const refuse = (times: number[], max: number, now: number): Admission => ({
    admitted: false,
    retryAfterMs: Math.max(1, options.windowMs - (now - times[times.length - max]!)),
  });

  /** The account-wide gap before the next attempt from an unknown source, given its recent failures. */
  function gapFor(accountFailures: number): number {
    const attempt = accountFailures - options.maxFailures + 1;
    if (attempt < 1) return 0;
    return retryDelayMs({ attempt, baseMs: options.backoffBaseMs, maxMs: options.backoffMaxMs, random: deps.random });
  }

  /**
   * Decides whether an attempt may check its password. An admitted attempt is counted as a failure
   * at once (so concurrent guesses cannot all slip under the limit) and may first wait its turn.
   */
  async function admit(source: SignInSource, now = Date.now()): Promise<Admission> {
    const pair = await store.failures(pairKey(source), now);
    if (pair.length >= options.maxFailures) return refuse(pair, options.maxFailures, now);
    const known = source.deviceId !== undefined || (await store.knownIp(source.account, source.ip, now));
    let waitMs = 0;
    if (!known) {
      const byIp = await store.failures(ipKey(source), now);
      if (byIp.length >= options.maxFailuresPerIp) return refuse(byIp, options.maxFailuresPerIp, now);
      const gap = gapFor((await store.failures(accountKey(source), now)).length);
      if (gap > 0) {
        const wait = await store.book(source.account, gap, options.backoffMaxMs, now);
        if (wait === null) return { admitted: false, retryAfterMs: options.backoffMaxMs };
        waitMs = wait;
      }
    }
    await store.addFailure(pairKey(source), now, options.maxFailures + KEEP_EXTRA);
    await store.addFailure(ipKey(source), now, options.maxFailuresPerIp + KEEP_EXTRA);
    await store.addFailure(accountKey(source), now, options.maxFailures + KEEP_EXTRA);
    if (waitMs > 0) await sleep(waitMs);
    return { admitted: true, ticket: { source, at: now } };
  }

  /** The password was right: takes the attempt's failure back, clears its source's count and remembers the IP. */
  async function succeeded(ticket: Ticket, now = Date.now()): Promise<void> {
    await store.clearFailures(pairKey(ticket.source));
    await store.removeFailure(ipKey(ticket.source), ticket.at);
    await store.removeFailure(accountKey(ticket.source), ticket.at);
    await store.rememberIp(ticket.source.account, ticket.source.ip, now);
  }

  return { admit, succeeded };
}

export type LoginLimits = ReturnType<typeof createLoginLimits>;

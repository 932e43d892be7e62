import type { FastifyBaseLogger } from 'fastify';
import { createWakeLoop } from '../jobs/wake-loop.ts';
import type { SelfAudit } from './self-audit.ts';

/** A sign-in refused by the limits (429), before its password was looked at. */
export interface BlockedAttempt {
  /** The normalized email. */
  email: string;
  /** The account's user and organizations; none when no such user exists (then only the server log hears of it). */
  userId?: string;
  orgIds: string[];
  ip: string;
  at: number;
}

interface Summary {
  email: string;
  userId?: string;
  orgIds: string[];
  periodStart: number;
  count: number;
  firstAt: number;
  lastAt: number;
  ips: string[];
  moreIps: boolean;
}

export interface BlockedSignInOptions {
  /** One summary entry per account per this period at most. */
  periodMs: number;
  /** Accounts followed at once; beyond it the oldest summary is written early. */
  maxAccounts?: number;
  /** Distinct IPs listed per summary. */
  maxIps?: number;
}

/**
 * Keeps refused sign-ins from flooding the audit log: the first refused attempt of a streak is recorded
 * on its own (the caller does it, with its request), the ones after it are counted per account and
 * written as one `login.failure` with `{reason: 'rate_limited', count, first_at, last_at, ips}` once per
 * period while they go on. Counts are in memory; `stop` writes what is pending.
 */
export function createBlockedSignIns(deps: {
  selfAudit: SelfAudit;
  logger: FastifyBaseLogger;
  options: BlockedSignInOptions;
}) {
  const { periodMs } = deps.options;
  const maxAccounts = deps.options.maxAccounts ?? 10_000;
  const maxIps = deps.options.maxIps ?? 10;
  const summaries = new Map<string, Summary>();
  const pending = new Set<Promise<void>>();

  async function write(s: Summary): Promise<void> {
    const metadata = {
      reason: 'rate_limited',
      count: s.count,
      first_at: new Date(s.firstAt).toISOString(),
      last_at: new Date(s.lastAt).toISOString(),
      ips: s.ips,
      ...(s.moreIps ? { ips_truncated: true } : {}),
    };
    deps.logger.warn({ reason: 'rate_limited', count: s.count, ips: s.ips }, 'sign-ins refused');
    const actor = { id: s.userId!, type: 'user' as const, email: s.email };
    const action = `${s.count} sign-in attempts refused`;
    const event = { type: 'login.failure', action, result: 'failed' as const, metadata };
    for (const orgId of s.orgIds) {
      try {
        await deps.selfAudit(orgId, actor, event, { ip: s.ips[0], headers: {} });
      } catch (error) {
        deps.logger.error({ err: error, orgId }, 'could not record refused sign-ins');
      }
    }
  }

  /** Writes `s` in the background (eviction), so `flushAll` can still wait for it. */
  function writeSoon(s: Summary) {
    const promise = write(s).finally(() => pending.delete(promise));
    pending.add(promise);
  }

  /** Counts a refused attempt; true when it is the first of a streak and the caller should record it now. */
  function note(attempt: BlockedAttempt): boolean {
    const s = summaries.get(attempt.email);
    if (!s) {
      if (summaries.size >= maxAccounts) {
        const [oldest, summary] = summaries.entries().next().value!;
        summaries.delete(oldest);
        if (summary.count > 0) writeSoon(summary);
      }
      const { email, userId, orgIds, at } = attempt;
      const fresh = { email, userId, orgIds, periodStart: at, count: 0, firstAt: at, lastAt: at, ips: [], moreIps: false };
      summaries.set(email, fresh);
      return true;
    }
    if (s.count === 0) s.firstAt = attempt.at;
    s.count += 1;
    s.lastAt = attempt.at;
    if (s.ips.includes(attempt.ip)) return false;
    if (s.ips.length < maxIps) s.ips.push(attempt.ip);
    else s.moreIps = true;
    return false;
  }

  /** Writes the summaries whose period has ended (a quiet period ends the streak); answers ms until the next is due. */
  async function flushDue(now = Date.now()): Promise<number> {
    const due: Summary[] = [];
    let next = periodMs;
    for (const s of summaries.values()) {
      const left = s.periodStart + periodMs - now;
      if (left > 0) {
        next = Math.min(next, left);
        continue;
      }
      if (s.count === 0) summaries.delete(s.email);
      else {
        due.push({ ...s, ips: [...s.ips] });
        Object.assign(s, { periodStart: now, count: 0, ips: [], moreIps: false });
      }
    }
    for (const s of due) await write(s);
    return next;
  }

  /** Writes every pending count now (shutdown). */
  async function flushAll(): Promise<void> {
    const all = [...summaries.values()].filter((s) => s.count > 0);
    summaries.clear();
    for (const s of all) await write(s);
    await Promise.all(pending);
  }

  const loop = createWakeLoop(
    () => flushDue(),
    (error) => {
      deps.logger.error({ err: error }, 'writing refused sign-in summaries failed');
      return periodMs;
    },
  );

  return {
    note,
    flushDue,
    flushAll,
    /** Starts writing summaries as their periods end. */
    start: () => loop.start(),
    /** Stops the timer and writes what is pending. */
    async stop() {
      await loop.stop();
      await flushAll();
    },
  };
}

export type BlockedSignIns = ReturnType<typeof createBlockedSignIns>;

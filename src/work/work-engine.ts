import os from 'node:os';
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Executor } from '../db/unit-of-work.ts';
import { failedRoundDelayMs } from '../jobs/retry-backoff.ts';
import { createWakeLoop } from '../jobs/wake-loop.ts';
import type { Lease, WorkRepo } from './work.repo.ts';

/** How often a server says it is alive; it counts as gone after three beats missed. */
export const WORK_HEARTBEAT_MS = 2000;
/** A server counts as live this long after its last heartbeat. */
export const LIVE_WITHIN_MS = 3 * WORK_HEARTBEAT_MS;

export interface WorkEngineOptions {
  repo: WorkRepo;
  logger: FastifyBaseLogger;
  /** This server's id (work/server-id.ts); a fresh one when not given. */
  serverId?: string;
  /** How long a task lease lasts unless renewed (work moves to another server this long after a death). */
  leaseTtlMs?: number;
}

/** One task's per-organization leases, as one server sees them. */
export interface TaskLeases {
  /**
   * Of the organizations with work for this task, those this server works on now: the leases it
   * holds (renewed) and free ones, up to its fair share among the live servers.
   */
  claim(orgIds: string[]): Promise<Lease[]>;
  /** Inside a write's transaction: refuses it (LeaseLostError) unless the lease is still this server's. */
  fence(tx: Executor, lease: Lease): Promise<void>;
}

/**
 * The shared background-work engine's coordination: this server's heartbeat (so others know how
 * many share the work), per-organization task leases with fencing tokens, and graceful hand-back.
 * Safe with N servers on one database; on SQLite there is one server and every lease is its own.
 */
export function createWorkEngine(options: WorkEngineOptions) {
  const { repo, logger } = options;
  const heartbeatMs = WORK_HEARTBEAT_MS;
  const leaseTtlMs = options.leaseTtlMs ?? 15_000;
  const server = { id: options.serverId ?? randomUUID(), host: os.hostname(), pid: process.pid, url: null as string | null, started_at: Date.now() };
  let liveCount = 1;

  const heartbeat = createWakeLoop(
    async () => {
      const now = Date.now();
      await repo.heartbeat(server, now);
      liveCount = Math.max(1, (await repo.liveServers(now - LIVE_WITHIN_MS)).length);
      // A server silent for a day is gone; its row only clutters the status.
      await repo.removeServers({ heartbeatBefore: now - 86_400_000 });
      return heartbeatMs;
    },
    (error, failures) => {
      logger.error({ err: error, failures }, 'work heartbeat failed; will retry');
      return failedRoundDelayMs(failures, heartbeatMs);
    },
  );

  function leases(task: string): TaskLeases {
    let last: { at: number; key: string; held: Lease[] } | undefined;
    return {
      async claim(orgIds) {
        // Renewed every few seconds, well inside the lease's life; fenced writes renew it too.
        const key = `${liveCount}:${orgIds.join(',')}`;
        if (last && last.key === key && Date.now() - last.at < leaseTtlMs / 5) return last.held;
        const share = Math.ceil(orgIds.length / liveCount);
        const held = await repo.takeLeases(task, orgIds, server.id, share, Date.now(), leaseTtlMs);
        // Short of its share, a server asks again next round: a lease handed back is taken at once.
        last = held.length >= share ? { at: Date.now(), key, held } : undefined;
        return held;
      },
      async fence(tx, lease) {
        try {
          await repo.fence(tx, lease, Date.now(), leaseTtlMs);
        } catch (error) {
          last = undefined;
          throw error;
        }
      },
    };
  }

  return {
    serverId: server.id,
    leases,
    /** Starts the heartbeat; `url` is where this server answers, shown in the cluster status. */
    start(url: string) {
      server.url = url;
      heartbeat.start();
    },
    /** Hands every lease back and leaves the live servers, so work moves at once (graceful shutdown). */
    async stop() {
      await heartbeat.stop();
      await repo.release(undefined, server.id).catch((error: unknown) => logger.warn({ err: error }, 'could not hand leases back'));
      await repo.removeServers({ id: server.id }).catch((error: unknown) => logger.warn({ err: error }, 'could not leave the server list'));
    },
  };
}

export type WorkEngine = ReturnType<typeof createWorkEngine>;

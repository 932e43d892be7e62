import type { WorkRepo } from './work.repo.ts';

/** How far each task of one organization is behind its chain's head (entries). */
export interface OrgLag {
  org_id: string;
  head_seq: number;
  /** Entries not yet in the full-text index. */
  search: number;
  /** Entries the alert rules have not yet been evaluated on. */
  alerts: number;
  /** Entries not yet accepted by the OTLP receiver (null: no destination enabled). */
  otel: number | null;
}

export interface ClusterStatusDeps {
  repo: WorkRepo;
  /** A server counts as live this long after its last heartbeat. */
  liveWithinMs: number;
  headSeq(orgId: string): Promise<number>;
  indexedSeq(orgId: string): Promise<number>;
  evaluatedSeq(orgId: string): Promise<number | undefined>;
  /** The OTLP cursor, or undefined when the organization sends nowhere. */
  deliveredSeq(orgId: string): Promise<number | undefined>;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * What the servers sharing this database are doing: which are alive, the task leases each holds,
 * the schedules, and per organization how far indexing, alerting and delivery are behind.
 * `orgIds` limits the leases and lags shown (an owner sees only their organization's).
 */
export function createClusterStatus(deps: ClusterStatusDeps) {
  async function lag(orgId: string): Promise<OrgLag> {
    const head = await deps.headSeq(orgId);
    const behind = (seq: number | undefined) => Math.max(0, head - (seq ?? 0));
    const delivered = await deps.deliveredSeq(orgId);
    return {
      org_id: orgId,
      head_seq: head,
      search: behind(await deps.indexedSeq(orgId)),
      alerts: behind(await deps.evaluatedSeq(orgId)),
      otel: delivered === undefined ? null : behind(delivered),
    };
  }

  async function status(orgIds: string[]) {
    const now = Date.now();
    const shown = new Set(orgIds);
    const servers = await deps.repo.liveServers(now - deps.liveWithinMs);
    const leases = (await deps.repo.heldLeases(now)).filter((lease) => shown.has(lease.org_id));
    const lags: OrgLag[] = [];
    for (const orgId of orgIds) lags.push(await lag(orgId));
    return {
      servers: servers.map((server) => ({
        id: server.id,
        host: server.host,
        pid: server.pid,
        url: server.url,
        started_at: iso(server.started_at)!,
        heartbeat_at: iso(server.heartbeat_at)!,
        leases: leases
          .filter((lease) => lease.holder === server.id)
          .map((lease) => ({ task: lease.task, org_id: lease.org_id, token: lease.token, expires_at: iso(lease.expires_at)! })),
      })),
      schedules: (await deps.repo.schedules()).map((s) => ({
        name: s.name,
        next_run_at: iso(s.next_run_at)!,
        last_run_at: iso(s.last_run_at),
        running_on: s.running_until !== null && s.running_until > now ? s.holder : null,
        last_error: s.last_error,
      })),
      lag: lags,
    };
  }

  return { status };
}

export type ClusterStatus = ReturnType<typeof createClusterStatus>;

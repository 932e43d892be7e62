import { sql } from 'kysely';
import type { Database } from '../db/database.ts';
import type { Executor } from '../db/unit-of-work.ts';

export interface WorkServersTable {
  id: string;
  host: string;
  pid: number;
  url: string | null;
  started_at: number;
  heartbeat_at: number;
}

/** One organization's share of a task (search indexing, alert evaluation, OTLP delivery). */
export interface WorkLeasesTable {
  org_id: string;
  task: string;
  holder: string | null;
  /** Fencing token: goes up each time the lease changes hands, so a write by a former holder is refused. */
  token: number;
  expires_at: number;
}

export interface WorkSchedulesTable {
  name: string;
  next_run_at: number;
  holder: string | null;
  running_until: number | null;
  last_run_at: number | null;
  last_error: string | null;
}

type WorkTables = { work_servers: WorkServersTable; work_leases: WorkLeasesTable; work_schedules: WorkSchedulesTable };

/** A lease this server holds: valid for writes while its token is the stored one and it has not expired. */
export interface Lease {
  orgId: string;
  task: string;
  holder: string;
  token: number;
}

/** A write under a lease that another server has taken over meanwhile (or that expired): refused. */
export class LeaseLostError extends Error {
  constructor(lease: Lease) {
    super(`the ${lease.task} lease of organization ${lease.orgId} is no longer held by this server`);
    this.name = 'LeaseLostError';
  }
}

/** Organization ids in byte order (UPDATE ... RETURNING gives rows in no particular order). */
const byOrgId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Runs `work`; a lease lost meanwhile (another server took the organization over) ends it quietly: false. */
export async function whileLeased(work: () => Promise<void>): Promise<boolean> {
  try {
    await work();
    return true;
  } catch (error) {
    if (error instanceof LeaseLostError) return false;
    throw error;
  }
}

/** The background-work engine's durable state: live servers, task leases, schedules. */
export function createWorkRepo(database: Database) {
  const db = database.db.withTables<WorkTables>();
  const on = (tx?: Executor) => (tx ? tx.withTables<WorkTables>() : db);
  const { adapter } = database;

  async function heartbeat(server: Omit<WorkServersTable, 'heartbeat_at'>, now: number): Promise<void> {
    await db
      .insertInto('work_servers')
      .values({ ...server, heartbeat_at: now })
      .onConflict((oc) => oc.column('id').doUpdateSet({ heartbeat_at: now }))
      .execute();
  }

  /** Servers whose last heartbeat is at or after `since`, oldest first. */
  async function liveServers(since: number): Promise<WorkServersTable[]> {
    return db.selectFrom('work_servers').selectAll().where('heartbeat_at', '>=', since).orderBy('started_at').execute();
  }

  /** Forgets a server (at shutdown, or long after its last heartbeat). */
  async function removeServers(where: { id: string } | { heartbeatBefore: number }): Promise<void> {
    const query = db.deleteFrom('work_servers');
    await ('id' in where ? query.where('id', '=', where.id) : query.where('heartbeat_at', '<', where.heartbeatBefore)).execute();
  }

  /**
   * Takes or renews the leases of `task` for up to `limit` of `orgIds`: those `holder` has
   * first, then free or expired ones. Returns the leases held afterwards.
   */
  async function takeLeases(task: string, orgIds: string[], holder: string, limit: number, now: number, ttlMs: number): Promise<Lease[]> {
    if (orgIds.length === 0 || limit <= 0) return [];
    await db
      .insertInto('work_leases')
      .values(orgIds.map((orgId) => ({ org_id: orgId, task, holder: null, token: 0, expires_at: 0 })))
      .onConflict((oc) => oc.columns(['org_id', 'task']).doNothing())
      .execute();
    const renewed = await db
      .updateTable('work_leases')
      .set({ expires_at: now + ttlMs })
      .where('task', '=', task)
      .where('org_id', 'in', orgIds)
      .where('holder', '=', holder)
      .where('expires_at', '>', now)
      .returning(['org_id', 'token'])
      .execute();
    renewed.sort((a, b) => byOrgId(a.org_id, b.org_id));
    const held = renewed.slice(0, limit);
    // Over its share (a server joined): the rest go back, for the others to take.
    const excess = renewed.slice(limit).map((row) => row.org_id);
    if (excess.length > 0) await release(task, holder, excess);
    const wanted = limit - held.length;
    if (wanted > 0) {
      const free = adapter.forClaim(
        db
          .selectFrom('work_leases')
          .select('org_id')
          .where('task', '=', task)
          .where('org_id', 'in', orgIds)
          .where('expires_at', '<=', now)
          .orderBy('org_id')
          .limit(wanted),
      );
      const taken = await db
        .updateTable('work_leases')
        .set({ holder, token: sql<number>`token + 1`, expires_at: now + ttlMs })
        .where('task', '=', task)
        .where('org_id', 'in', free)
        .where('expires_at', '<=', now)
        .returning(['org_id', 'token'])
        .execute();
      held.push(...taken);
    }
    return held
      .map((row) => ({ orgId: row.org_id, task, holder, token: Number(row.token) }))
      .sort((a, b) => byOrgId(a.orgId, b.orgId));
  }

  /**
   * Inside the transaction of a write made under `lease`: checks that the lease is still this
   * server's and extends it, holding its row until the transaction ends, so a takeover waits for
   * the write or the write sees the takeover. Throws LeaseLostError otherwise.
   */
  async function fence(tx: Executor, lease: Lease, now: number, ttlMs: number): Promise<void> {
    const result = await on(tx)
      .updateTable('work_leases')
      .set({ expires_at: now + ttlMs })
      .where('org_id', '=', lease.orgId)
      .where('task', '=', lease.task)
      .where('holder', '=', lease.holder)
      .where('token', '=', lease.token)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) throw new LeaseLostError(lease);
  }

  /** Hands leases back (all of `holder`'s for `task`, or those of `orgIds`), for another server to take at once. */
  async function release(task: string | undefined, holder: string, orgIds?: string[]): Promise<void> {
    let query = db.updateTable('work_leases').set({ holder: null, expires_at: 0 }).where('holder', '=', holder);
    if (task !== undefined) query = query.where('task', '=', task);
    if (orgIds !== undefined) query = query.where('org_id', 'in', orgIds);
    await query.execute();
  }

  /** Every lease currently held (unexpired). */
  async function heldLeases(now: number): Promise<WorkLeasesTable[]> {
    return db.selectFrom('work_leases').selectAll().where('expires_at', '>', now).orderBy('task').orderBy('org_id').execute();
  }

  /** Creates the schedule `name`, first due at `firstRunAt`, unless it exists (its clock survives restarts). */
  async function ensureSchedule(name: string, firstRunAt: number): Promise<void> {
    await db
      .insertInto('work_schedules')
      .values({ name, next_run_at: firstRunAt, holder: null, running_until: null, last_run_at: null, last_error: null })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
  }

  /** Claims a due schedule for `holder` until `runningUntil`; false when it is not due or another server runs it. */
  async function claimSchedule(name: string, holder: string, now: number, runningUntil: number): Promise<boolean> {
    const result = await db
      .updateTable('work_schedules')
      .set({ holder, running_until: runningUntil })
      .where('name', '=', name)
      .where('next_run_at', '<=', now)
      .where((eb) => eb.or([eb('running_until', 'is', null), eb('running_until', '<=', now)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Extends a claim while its run goes on. */
  async function renewSchedule(name: string, holder: string, runningUntil: number): Promise<void> {
    await db.updateTable('work_schedules').set({ running_until: runningUntil }).where('name', '=', name).where('holder', '=', holder).execute();
  }

  /** Ends `holder`'s run: the schedule is next due at `nextRunAt`. */
  async function finishSchedule(name: string, holder: string, at: number, nextRunAt: number, error: string | null): Promise<void> {
    await db
      .updateTable('work_schedules')
      .set({ next_run_at: nextRunAt, holder: null, running_until: null, last_run_at: at, last_error: error })
      .where('name', '=', name)
      .where('holder', '=', holder)
      .execute();
  }

  async function schedules(): Promise<WorkSchedulesTable[]> {
    return db.selectFrom('work_schedules').selectAll().orderBy('name').execute();
  }

  return {
    heartbeat, liveServers, removeServers, takeLeases, fence, release, heldLeases,
    ensureSchedule, claimSchedule, renewSchedule, finishSchedule, schedules,
  };
}

export type WorkRepo = ReturnType<typeof createWorkRepo>;

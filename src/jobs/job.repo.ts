import { v7 as uuidv7 } from 'uuid';
import type { Database } from '../db/database.ts';
import type { Executor } from '../db/unit-of-work.ts';

export type JobState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface JobsTable {
  id: string;
  org_id: string | null;
  kind: string;
  /** JSON: what the handler needs; never a secret (the table is not encrypted). */
  payload: string;
  state: JobState;
  attempts: number;
  max_attempts: number;
  run_at: number;
  locked_until: number | null;
  /** The server running it (its work-engine id): a runner's writes count only while it holds the job. */
  locked_by: string | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

export interface Job<P = unknown> {
  id: string;
  orgId: string | null;
  kind: string;
  payload: P;
  state: JobState;
  attempts: number;
  maxAttempts: number;
  runAt: number;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface EnqueueInput {
  kind: string;
  orgId?: string | null;
  payload: unknown;
  maxAttempts?: number;
  runAt?: number;
  /** Use a known id (e.g. the export's id) so the caller can find its job again. */
  id?: string;
}

function toJob(row: JobsTable): Job {
  return {
    id: row.id,
    orgId: row.org_id,
    kind: row.kind,
    payload: JSON.parse(row.payload),
    state: row.state,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    runAt: row.run_at,
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The SQL of the job queue; only the job runner and `jobs/` call it. */
export function createJobRepo(database: Database) {
  const db = database.db.withTables<{ jobs: JobsTable }>();

  /** Queues a job; given the caller's transaction, it exists only if that commits. */
  async function enqueue(input: EnqueueInput, tx?: Executor, now = Date.now()): Promise<Job> {
    const row: JobsTable = {
      id: input.id ?? uuidv7(),
      org_id: input.orgId ?? null,
      kind: input.kind,
      payload: JSON.stringify(input.payload ?? null),
      state: 'queued',
      attempts: 0,
      max_attempts: input.maxAttempts ?? 5,
      run_at: input.runAt ?? now,
      locked_until: null,
      locked_by: null,
      last_error: null,
      created_at: now,
      updated_at: now,
    };
    await (tx ? tx.withTables<{ jobs: JobsTable }>() : db).insertInto('jobs').values(row).execute();
    return toJob(row);
  }

  /**
   * Takes the next due job of the given kinds: a queued one whose time has come, or a running one
   * whose lease ran out (its worker died). One UPDATE ... RETURNING sets the lease and the attempt;
   * the row is picked with FOR UPDATE SKIP LOCKED where the engine has it, so runners on several
   * servers never take the same job nor wait for each other.
   */
  async function claim(kinds: string[], leaseMs: number, holder: string, ids?: string[], now = Date.now()): Promise<Job | undefined> {
    if (kinds.length === 0 || ids?.length === 0) return undefined;
    const row = await db
      .updateTable('jobs')
      .set((eb) => ({ state: 'running', attempts: eb('attempts', '+', 1), locked_until: now + leaseMs, locked_by: holder, updated_at: now }))
      .where('id', '=', (eb) =>
        database.adapter.forClaim(
          eb
            .selectFrom('jobs')
            .select('id')
            .where('kind', 'in', kinds)
            .$if(ids !== undefined, (q) => q.where('id', 'in', ids!))
            .where((w) =>
              w.or([
                w.and([w('state', '=', 'queued'), w('run_at', '<=', now)]),
                w.and([w('state', '=', 'running'), w('locked_until', '<', now)]),
              ]),
            )
            .orderBy('run_at')
            .limit(1),
        ),
      )
      .returningAll()
      .executeTakeFirst();
    return row ? toJob(row) : undefined;
  }

  /** The job while `holder` runs it: a runner whose job was taken over (its lease ran out) writes nothing. */
  const held = (id: string, holder: string) =>
    db.updateTable('jobs').where('id', '=', id).where('state', '=', 'running').where('locked_by', '=', holder);

  /** Extends a running job's lease; false when the job is no longer this runner's (cancelled or taken over). */
  async function extendLease(id: string, holder: string, leaseMs: number, now = Date.now()): Promise<boolean> {
    const result = await held(id, holder).set({ locked_until: now + leaseMs, updated_at: now }).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async function finish(id: string, holder: string, state: 'completed' | 'failed', lastError: string | null, now = Date.now()) {
    await held(id, holder).set({ state, locked_until: null, locked_by: null, last_error: lastError, updated_at: now }).execute();
  }

  /** Puts a failed attempt back in the queue for a later try. */
  async function retryAt(id: string, holder: string, runAt: number, lastError: string, now = Date.now()): Promise<void> {
    const next = { state: 'queued' as const, run_at: runAt, locked_until: null, locked_by: null, last_error: lastError, updated_at: now };
    await held(id, holder).set(next).execute();
  }

  /** Cancels a job that has not finished; true when it was queued or running. */
  async function cancel(id: string, now = Date.now()): Promise<boolean> {
    const result = await db.updateTable('jobs').set({ state: 'cancelled', locked_until: null, updated_at: now }).where('id', '=', id).where('state', 'in', ['queued', 'running']).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * Jobs `holder` left running when its process died (the same server restarted: its id is kept in
   * its data dir) become due at once; other servers' jobs are theirs until their leases run out.
   */
  async function releaseAll(holder: string, now = Date.now()): Promise<number> {
    const result = await db
      .updateTable('jobs')
      .set({ state: 'queued', run_at: now, locked_until: null, locked_by: null, updated_at: now })
      .where('state', '=', 'running')
      .where((eb) => eb.or([eb('locked_by', '=', holder), eb('locked_by', 'is', null)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async function get(id: string): Promise<Job | undefined> {
    const row = await db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toJob(row) : undefined;
  }

  /** Removes finished jobs older than `before` so the table does not grow forever. */
  async function pruneFinished(before: number): Promise<number> {
    const result = await db.deleteFrom('jobs').where('state', 'in', ['completed', 'failed', 'cancelled']).where('updated_at', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  return { enqueue, claim, extendLease, finish, retryAt, cancel, releaseAll, get, pruneFinished };
}

export type JobRepo = ReturnType<typeof createJobRepo>;

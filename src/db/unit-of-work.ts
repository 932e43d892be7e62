import { sql, type Kysely } from 'kysely';
import type { Tables } from './tables.ts';

/** A query executor: the database, or a transaction open on it (Kysely's Transaction is a Kysely). */
export type Executor = Kysely<Tables>;

/** Keyed by the transaction's query executor, which `withTables()` views of it share. */
const afterCommitHooks = new WeakMap<object, Array<() => void>>();

/**
 * The unit of work: runs `work` in one transaction, so that an action, its self-audit entry and
 * any job it queues commit together or not at all. Called with a transaction already open
 * (`db.isTransaction`), it joins that one instead of starting another, so services compose.
 * Hooks registered with `afterCommit` run once the outermost transaction has committed.
 */
export async function inTransaction<DB, T>(db: Kysely<DB>, work: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
  if (db.isTransaction) return work(db);
  const hooks: Array<() => void> = [];
  const result = await db.transaction().execute(async (trx) => {
    afterCommitHooks.set(trx.getExecutor(), hooks);
    return work(trx);
  });
  for (const hook of hooks) hook();
  return result;
}

/** Runs `hook` after the transaction `db` belongs to commits (at once when `db` is not a transaction). */
export function afterCommit(db: Kysely<any>, hook: () => void): void {
  const hooks = db.isTransaction ? afterCommitHooks.get(db.getExecutor()) : undefined;
  if (db.isTransaction && !hooks) throw new Error('afterCommit: the transaction was not opened by inTransaction');
  if (hooks) hooks.push(hook);
  else hook();
}

/**
 * Inside the open transaction `trx`: runs `work` under a savepoint. If it throws, what it wrote is
 * rolled back (the transaction stays usable) and the error is rethrown; otherwise its writes stay.
 * If the rollback itself fails, TransactionBrokenError is thrown (its cause says why).
 */
export async function withSavepoint<T>(trx: Kysely<any>, work: () => Promise<T>): Promise<T> {
  if (!trx.isTransaction) throw new Error('withSavepoint: not inside a transaction');
  await sql`SAVEPOINT auditum_sp`.execute(trx);
  try {
    const result = await work();
    await sql`RELEASE SAVEPOINT auditum_sp`.execute(trx);
    return result;
  } catch (error) {
    try {
      await sql`ROLLBACK TO SAVEPOINT auditum_sp`.execute(trx);
      await sql`RELEASE SAVEPOINT auditum_sp`.execute(trx);
    } catch (rollback) {
      throw new TransactionBrokenError(rollback, error);
    }
    throw error;
  }
}

/** A savepoint could not be rolled back: the transaction is unusable and must fail as a whole. */
export class TransactionBrokenError extends Error {
  constructor(cause: unknown, readonly original: unknown) {
    super(`the transaction could not roll back to its savepoint: ${(cause as Error)?.message ?? cause}`, { cause });
    this.name = 'TransactionBrokenError';
  }
}

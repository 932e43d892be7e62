import type { Kysely } from 'kysely';
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

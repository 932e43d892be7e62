import type { Database } from '../db/database.ts';
import { inTransaction, TransactionBrokenError, withSavepoint } from '../db/unit-of-work.ts';
import { OverloadedError, storageFailure } from '../errors.ts';
import type { EventInput } from '../events/event.schemas.ts';
import type { AppendResult, EventStore } from '../events/event-store.ts';

export interface GroupCommitOptions {
  /** Most events waiting (queued or being committed); a request past it gets 503 with Retry-After. */
  maxQueuedEvents: number;
  /** Most events committed in one group (one transaction, one fsync); one bigger request still goes alone. */
  maxGroupEvents?: number;
}

interface Pending {
  orgId: string;
  inputs: EventInput[];
  receivedAt: number;
  resolve(results: AppendResult[]): void;
  reject(error: unknown): void;
}

const DEFAULT_GROUP_EVENTS = 5000;

/**
 * Group commit in front of the event store: requests that arrive while a commit is in flight are
 * appended together in the next transaction, so many small requests share one commit (and one fsync),
 * and each is answered once its own entries are committed.
 *
 * Each request stays all-or-nothing and alone in its fate. A group is first tried as one
 * transaction; if that fails for a reason that is not the storage's (a conflict, a refused row),
 * nothing of it was written and it is tried again with each organization's requests under a
 * savepoint, then, where that fails, each request under its own: only the ones that fail are refused.
 * A failure of the transaction itself (disk full, database gone) fails every request in the group,
 * and nothing of it is written. Organizations are appended in id order, so the chain-head locks of
 * two groups (on two servers) are always taken in the same order and cannot deadlock.
 */
export function createGroupCommit(deps: { database: Database; store: EventStore; options: GroupCommitOptions }) {
  const maxGroup = deps.options.maxGroupEvents ?? DEFAULT_GROUP_EVENTS;
  const queue: Pending[] = [];
  let waiting = 0;
  let draining = false;
  const stats = { groups: 0, requests: 0, events: 0 };

  /** Appends `inputs` (already validated) to the organization's chain; resolves after commit. */
  function append(orgId: string, inputs: EventInput[]): Promise<AppendResult[]> {
    if (waiting > 0 && waiting + inputs.length > deps.options.maxQueuedEvents) {
      return Promise.reject(new OverloadedError(`the server has ${waiting} events waiting to be committed; retry shortly`));
    }
    return new Promise((resolve, reject) => {
      queue.push({ orgId, inputs, receivedAt: Date.now(), resolve, reject });
      waiting += inputs.length;
      if (!draining) {
        draining = true;
        // After the current I/O phase: requests parsed in the same turn join the first group.
        setImmediate(drain);
      }
    });
  }

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const group = takeGroup();
      await commitGroup(group);
      const events = group.reduce((sum, request) => sum + request.inputs.length, 0);
      waiting -= events;
      stats.groups += 1;
      stats.requests += group.length;
      stats.events += events;
      // Let the requests that arrived meanwhile be read before the next group is taken.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    draining = false;
  }

  function takeGroup(): Pending[] {
    const group = [queue.shift()!];
    let events = group[0]!.inputs.length;
    while (queue.length > 0 && events + queue[0]!.inputs.length <= maxGroup) {
      const next = queue.shift()!;
      events += next.inputs.length;
      group.push(next);
    }
    return group;
  }

  async function commitGroup(group: Pending[]): Promise<void> {
    const byOrg = new Map<string, Pending[]>();
    for (const request of group) {
      const requests = byOrg.get(request.orgId);
      if (requests) requests.push(request);
      else byOrg.set(request.orgId, [request]);
    }
    const orgIds = [...byOrg.keys()].sort();
    // The common case first: every request goes in, with no savepoints (two statements fewer per organization).
    try {
      const results = await inTransaction(deps.database.db, async (trx) => {
        const all = new Map<Pending, AppendResult[]>();
        for (const orgId of orgIds) {
          const requests = byOrg.get(orgId)!;
          (await appendAll(trx, orgId, requests)).forEach((r, i) => all.set(requests[i]!, r));
        }
        return all;
      });
      for (const request of group) request.resolve(results.get(request)!);
      return;
    } catch (error) {
      // Nothing of the group was written. A storage condition fails every request; so does any
      // error of a group of one. Otherwise the group is tried again with each request isolated.
      if (storageFailure(error) || group.length === 1) {
        for (const request of group) request.reject(error);
        return;
      }
    }
    await commitIsolated(byOrg, orgIds, group);
  }

  /** The group again, each organization's requests under a savepoint, then each request alone if that fails. */
  async function commitIsolated(byOrg: Map<string, Pending[]>, orgIds: string[], group: Pending[]): Promise<void> {
    const outcomes = new Map<Pending, { results?: AppendResult[]; error?: unknown }>();
    try {
      await inTransaction(deps.database.db, async (trx) => {
        for (const orgId of orgIds) {
          const requests = byOrg.get(orgId)!;
          const together = await attempt(() => withSavepoint(trx, () => appendAll(trx, orgId, requests)));
          if (together.results) {
            requests.forEach((request, i) => outcomes.set(request, { results: together.results![i] }));
            continue;
          }
          if (requests.length === 1) {
            outcomes.set(requests[0]!, { error: together.error });
            continue;
          }
          for (const request of requests) {
            const alone = await attempt(() => withSavepoint(trx, () => appendAll(trx, orgId, [request])));
            outcomes.set(request, alone.results ? { results: alone.results[0] } : { error: alone.error });
          }
        }
      });
    } catch (error) {
      for (const request of group) request.reject(error);
      return;
    }
    for (const request of group) {
      const outcome = outcomes.get(request)!;
      if (outcome.results) request.resolve(outcome.results);
      else request.reject(outcome.error);
    }
  }

  /**
   * Runs one append under its savepoint; its failure is returned, to be answered to its requests
   * alone, unless it is a storage condition or the savepoint could not be rolled back: those fail the group.
   */
  async function attempt(run: () => Promise<AppendResult[][]>): Promise<{ results?: AppendResult[][]; error?: unknown }> {
    try {
      return { results: await run() };
    } catch (error) {
      if (storageFailure(error) || error instanceof TransactionBrokenError) throw error;
      return { error };
    }
  }

  /** One append of several requests' events; the results split back per request. */
  async function appendAll(trx: Database['db'], orgId: string, requests: Pending[]): Promise<AppendResult[][]> {
    const inputs = requests.flatMap((request) => request.inputs);
    const receivedAt = requests.flatMap((request) => request.inputs.map(() => request.receivedAt));
    const results = await deps.store.append(orgId, inputs, { tx: trx, receivedAt });
    const split: AppendResult[][] = [];
    let at = 0;
    for (const request of requests) {
      split.push(results.slice(at, at + request.inputs.length));
      at += request.inputs.length;
    }
    return split;
  }

  /** Events waiting now; groups, requests and events committed (or failed) so far. */
  return { append, waiting: () => waiting, stats: () => ({ ...stats }) };
}

export type GroupCommit = ReturnType<typeof createGroupCommit>;

import type { FastifyBaseLogger } from 'fastify';
import type { EventStore } from '../events/event-store.ts';
import type { CheckpointService } from './checkpoint.service.ts';

/**
 * Signs checkpoints in the background: for every organization every `intervalSeconds`, and for
 * one organization as soon as it has `everyEntries` entries past its last checkpoint.
 * Either trigger can be 0 (off). stop() waits for signing in progress.
 */
export function startCheckpointSchedule(deps: {
  checkpoints: CheckpointService;
  store: EventStore;
  orgIds: () => Promise<string[]>;
  intervalSeconds: number;
  everyEntries: number;
  logger: FastifyBaseLogger;
}) {
  const signedSize = new Map<string, number>();
  const inFlight = new Map<string, Promise<void>>();
  let stopped = false;

  function sign(orgId: string): Promise<void> {
    const existing = inFlight.get(orgId);
    if (existing) return existing;
    const job = deps.checkpoints
      .create(orgId)
      .then((cp) => void signedSize.set(orgId, cp.tree_size))
      .catch((error) => deps.logger.error({ err: error, orgId }, 'signing a checkpoint failed'))
      .finally(() => inFlight.delete(orgId));
    inFlight.set(orgId, job);
    return job;
  }

  const unsubscribe =
    deps.everyEntries > 0
      ? deps.store.onAppend((orgId, lastSeq) => {
          if (stopped) return;
          // An organization not seen since start counts from 0: at worst one early checkpoint.
          if (lastSeq - (signedSize.get(orgId) ?? 0) >= deps.everyEntries) void sign(orgId);
        })
      : () => {};

  const timer =
    deps.intervalSeconds > 0
      ? setInterval(() => {
          void deps.orgIds().then((ids) => Promise.all(ids.map(sign)), (error) => deps.logger.error({ err: error }, 'listing organizations failed'));
        }, deps.intervalSeconds * 1000)
      : undefined;

  return {
    async stop() {
      stopped = true;
      unsubscribe();
      clearInterval(timer);
      await Promise.all(inFlight.values());
    },
  };
}

import type { FastifyBaseLogger } from 'fastify';
import type { EventStore } from '../events/event-store.ts';
import type { ScheduledTask } from '../work/schedules.ts';
import type { CheckpointService } from './checkpoint.service.ts';

interface CheckpointDeps {
  checkpoints: CheckpointService;
  orgIds: () => Promise<string[]>;
  logger: FastifyBaseLogger;
}

/**
 * Signs a checkpoint for every organization every `intervalSeconds`, on the durable schedule
 * (one server signs; a tree size has one root, and a size already signed is kept as it is).
 */
export function checkpointTask(deps: CheckpointDeps & { intervalSeconds: number }): ScheduledTask {
  return {
    name: 'checkpoints',
    intervalMs: deps.intervalSeconds * 1000,
    firstRun: 'after-interval',
    async run(signal) {
      for (const orgId of await deps.orgIds()) {
        if (signal.aborted) return;
        await deps.checkpoints.create(orgId);
      }
    },
  };
}

/**
 * Signs a checkpoint for one organization as soon as this server has appended `everyEntries`
 * entries past its last one (0: off). stop() waits for signing in progress.
 */
export function startCheckpointTrigger(deps: CheckpointDeps & { store: EventStore; everyEntries: number }) {
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

  return {
    async stop() {
      stopped = true;
      unsubscribe();
      await Promise.all(inFlight.values());
    },
  };
}

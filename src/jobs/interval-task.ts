import type { FastifyBaseLogger } from 'fastify';
import { coerceError } from '../errors.ts';

/**
 * Runs `step` repeatedly: again at once while it reports progress, otherwise after `intervalMs`.
 * Errors are logged and retried after the interval. `stop()` waits for a running step.
 */
export function startIntervalTask(name: string, step: () => Promise<number>, intervalMs: number, log: FastifyBaseLogger) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  const schedule = (delay: number) => {
    if (!stopped) timer = setTimeout(run, delay);
  };
  function run() {
    running = step()
      .then((progress) => schedule(progress > 0 ? 0 : intervalMs))
      .catch((error: unknown) => {
        log.error({ err: coerceError(error), task: name }, 'background task failed');
        schedule(intervalMs);
      });
  }
  schedule(0);

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

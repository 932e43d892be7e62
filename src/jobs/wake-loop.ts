/**
 * Runs `round` one at a time: on wake() (now, or right after the round in progress) and again
 * after the delay each round returns. The shared engine of the background workers (job runner,
 * OTLP delivery, alert evaluation), so none of them re-implements timers and re-entrancy.
 * A round that throws goes to `onError` with the count of failed rounds in a row (1, 2, ...),
 * which returns the delay before the next one: failing storage is retried with backoff, not in a spin.
 */
export function createWakeLoop(round: () => Promise<number>, onError: (error: unknown, failures: number) => number) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = true;
  let failures = 0;

  function schedule(delayMs: number) {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(wake, Math.max(0, delayMs));
    timer.unref();
  }

  /** Runs a round now, or right after the current one. */
  function wake() {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    clearTimeout(timer);
    running = round()
      .then(
        (delay) => {
          failures = 0;
          return delay;
        },
        (error: unknown) => onError(error, ++failures),
      )
      .then((nextDelay) => {
        running = undefined;
        if (again) {
          again = false;
          setImmediate(wake);
        } else schedule(nextDelay);
      });
  }

  return {
    wake,
    get stopped() {
      return stopped;
    },
    start() {
      if (!stopped) return;
      stopped = false;
      wake();
    },
    /** Stops scheduling and waits for the round in progress. */
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

export type WakeLoop = ReturnType<typeof createWakeLoop>;

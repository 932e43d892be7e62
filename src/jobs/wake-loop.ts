/**
 * Runs `round` one at a time: on wake() (now, or right after the round in progress) and again
 * after the delay each round returns. The shared engine of the background workers (job runner,
 * OTLP delivery, alert evaluation), so none of them re-implements timers and re-entrancy.
 * A round that throws goes to `onError` with the count of failed rounds in a row (1, 2, ...),
 * which returns the delay before the next one: failing storage is retried with backoff, not in a spin.
 * `minGapMs` spaces rounds started by wake-ups: under a stream of wake-ups (an append every few
 * milliseconds) a round starts at most once per gap and takes in all that arrived meanwhile, so
 * the work per round (and its commit) is shared instead of repeated.
 */
/** The gap between rounds of the followers of the chains (alerts, OTLP, indexing) under steady ingest. */
export const FOLLOWER_GAP_MS = 50;

export function createWakeLoop(
  round: () => Promise<number>,
  onError: (error: unknown, failures: number) => number,
  options: { minGapMs?: number } = {},
) {
  const minGapMs = options.minGapMs ?? 0;
  let lastStart = -Infinity;
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

  /** Runs a round now, or right after the current one (no sooner than `minGapMs` after the last start). */
  function wake() {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    const wait = lastStart + minGapMs - performance.now();
    if (wait > 0) {
      schedule(wait);
      return;
    }
    clearTimeout(timer);
    lastStart = performance.now();
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

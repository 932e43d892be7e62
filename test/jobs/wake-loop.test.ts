import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createWakeLoop } from '../../src/jobs/wake-loop.ts';
import { failedRoundDelayMs, FAILED_ROUND_MAX_MS } from '../../src/jobs/retry-backoff.ts';

test('failed rounds in a row are counted for the backoff, and a round that works resets the count', async () => {
  // Rounds: fail, fail, fail, work, fail, then idle.
  const script = [false, false, false, true, false];
  const counts: number[] = [];
  let rounds = 0;
  const loop = createWakeLoop(
    async () => {
      const works = script[rounds++];
      if (works === undefined) return 60_000;
      if (!works) throw new Error('database or disk is full');
      return 1;
    },
    (_error, failures) => {
      counts.push(failures);
      return 1;
    },
  );
  loop.start();
  for (let i = 0; i < 200 && rounds <= script.length; i++) await sleep(5);
  await loop.stop();
  assert.deepEqual(counts, [1, 2, 3, 1]);
});

test('the pause after failed rounds doubles from the poll interval up to a minute', () => {
  for (let failures = 1; failures < 20; failures++) {
    const delay = failedRoundDelayMs(failures, 1000);
    const max = Math.min(FAILED_ROUND_MAX_MS, 1000 * 2 ** (failures - 1));
    assert.ok(delay >= max / 2 && delay <= max, `${failures} failures: ${delay} ms within [${max / 2}, ${max}]`);
  }
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient } from '@auditum/client';
import { eventsOf, ingestRequests, startHttpProxy, type HttpProxy } from '../helpers/http-proxy.ts';
import { waitFor } from '../helpers/otlp-receiver.ts';
import { storedIds, watchClient } from '../helpers/sdk.ts';
import { sampleEvent, startTestApp, type TestApp } from '../helpers/test-app.ts';

/**
 * The server's ingest queue is kept full by other clients sending 1,000-event batches (the smallest
 * bound the server takes is 1,000 waiting events), so the SDK's batch is answered 503 with Retry-After.
 */
describe('@auditum/client: 503 backpressure', () => {
  let t: TestApp;
  let proxy: HttpProxy;
  before(async () => {
    t = await startTestApp({ ingestQueueMaxEvents: 1000 });
    proxy = await startHttpProxy(t.url);
  });
  after(async () => {
    await proxy.close();
    await t.close();
  });

  it('waits as long as Retry-After asks before sending the batch again, then it is stored once', async () => {
    const org = await t.createOrg('backpressure');
    const events = Array.from({ length: 1000 }, (_, i) => sampleEvent({ action: `flood ${i}` }));
    const body = JSON.stringify({ events });
    let flooding = true;
    const flood = async () => {
      // Bounded: at most 30 s or 2,000 requests per worker, and it stops once the SDK has been refused.
      const until = Date.now() + 30_000;
      for (let i = 0; flooding && i < 2000 && Date.now() < until; i++) {
        const res = await fetch(`${t.url}/v1/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${org.key}`, 'content-type': 'application/json' },
          body,
        });
        await res.text();
      }
    };
    const workers = Array.from({ length: 6 }, flood);
    // A tiny backoff: only Retry-After can make the client wait a whole second.
    const client = createClient({ url: proxy.url, apiKey: org.key, exitWarning: false, retry: { baseDelayMs: 5 } });
    const seen = watchClient(client);
    try {
      const acknowledged = (async () => {
        for (;;) {
          const ack = await client.recordNow({ type: 'user.login', actor: { id: 'sdk' }, action: 'backpressure' });
          if (seen.retries.length > 0) return ack;
          // Not refused this time (the queue had just drained): record another until one is.
          if (!flooding) throw new Error('the flood ended before the SDK was refused');
        }
      })();
      await waitFor('a 503 retry', () => seen.retries.length > 0, 30_000).finally(() => (flooding = false));
      const ack = await acknowledged;
      const retry = seen.retries[0]!;
      assert.deepEqual([retry.error.status, retry.error.code, retry.error.retryAfterMs], [503, 'overloaded', 1000]);
      assert.ok(retry.delayMs >= 1000, `the delay (${retry.delayMs} ms) is at least Retry-After`);
      const tries = ingestRequests(proxy).filter((r) => eventsOf(r).some((e) => e.id === ack.id));
      assert.ok(tries.length >= 2, 'refused, then sent again');
      assert.deepEqual(tries.slice(0, 2).map((r) => r.status), [503, tries.length === 2 ? 201 : 503]);
      const gap = tries[1]!.at - tries[0]!.at;
      assert.ok(gap >= 995, `the second try came ${gap} ms after the first`);
      const stored = await storedIds(t.config, org.id);
      assert.equal(stored.filter((id) => id === ack.id).length, 1);
    } finally {
      flooding = false;
      await Promise.all(workers);
      await client.close();
    }
  });
});

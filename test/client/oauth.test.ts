import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient, type AuditumClient } from '@auditum/client';
import { startHttpProxy, type HttpProxy } from '../helpers/http-proxy.ts';
import { waitFor } from '../helpers/otlp-receiver.ts';
import { storedIds } from '../helpers/sdk.ts';
import { reopenTestApp, startTestApp, type TestApp } from '../helpers/test-app.ts';
import { rawQuery } from '../helpers/test-database.ts';

const event = (action: string) => ({ type: 'user.login', actor: { id: 'u_1' }, action });

interface Fixture {
  proxy: HttpProxy;
  client: AuditumClient;
  clientId: string;
  orgId: string;
}

/** What the client asked the server, in order: token requests and event posts with their statuses. */
const calls = (proxy: HttpProxy) =>
  proxy.requests.map((r) => `${r.path === '/oauth/token' ? 'token' : 'events'} ${r.status ?? '-'}`);

/** OAuth2 client credentials, with the server's shortest token lifetime (AUDITUM_ACCESS_TOKEN_TTL_SECONDS=60). */
describe('@auditum/client: OAuth2 client credentials', () => {
  let t: TestApp;
  let reopened: Awaited<ReturnType<typeof reopenTestApp>> | undefined;
  before(async () => {
    t = await startTestApp({ accessTokenTtlSeconds: 60 });
  });
  after(async () => {
    await reopened?.close();
    await t.close();
  });

  async function setUp(name: string, refreshMarginMs?: number): Promise<Fixture> {
    const org = await t.createOrg(name);
    const scopes = ['events:write', 'events:read'] as const;
    const { client: info, secret } = await t.app.services.tokens.createClient(org.id, 'sdk', [...scopes]);
    const proxy = await startHttpProxy(t.url);
    const oauth = { clientId: info.client_id, clientSecret: secret, refreshMarginMs };
    const client = createClient({ url: proxy.url, oauth, exitWarning: false, retry: { baseDelayMs: 10 } });
    return { proxy, client, clientId: info.client_id, orgId: org.id };
  }

  it('fetches a token, reuses it, and fetches a new one before it expires', async () => {
    // Refreshed 57 s before a 60 s lifetime ends: due 3 s after the client got it (1.5 s of slack each way).
    const { proxy, client } = await setUp('refresh', 57_000);
    try {
      await client.recordNow(event('first'));
      await client.recordNow(event('second'));
      const asked = proxy.requests[0]!.at;
      await waitFor('the token to be due', () => Date.now() > asked + 4500, 6000);
      await client.recordNow(event('third'));
      assert.deepEqual(calls(proxy), ['token 200', 'events 201', 'events 201', 'token 200', 'events 201']);
      const [first, , , , third] = proxy.requests;
      assert.notEqual(third!.headers.authorization, proxy.requests[1]!.headers.authorization, 'a new token');
      assert.match(String(first!.headers.authorization), /^Basic /, 'client authentication by HTTP Basic');
    } finally {
      await client.close();
      await proxy.close();
    }
  });

  it('a revoked client: the 401, then invalid_client from /oauth/token, reported and not retried', async () => {
    const { proxy, client, clientId, orgId } = await setUp('revoked');
    const errors: Array<{ code: string; status?: number }> = [];
    client.on('error', (e) => errors.push(e));
    try {
      await client.recordNow(event('while valid'));
      await t.app.services.tokens.revokeClient(orgId, clientId);
      const error = await client.recordNow(event('after revocation')).then(() => null, (e) => e);
      assert.deepEqual([error.status, error.code], [401, 'invalid_client']);
      void client.record(event('queued after revocation'));
      await client.flush();
      await waitFor('the error event', () => errors.length === 1);
      assert.deepEqual(errors.map((e) => [e.status, e.code]), [[401, 'invalid_client']]);
      assert.deepEqual(calls(proxy), ['token 200', 'events 201', 'events 401', 'token 401', 'token 401']);
      assert.equal((await storedIds(t.config, orgId)).length, 1);
    } finally {
      await client.close();
      await proxy.close();
    }
  });

  // Last: it restarts the server.
  it('a 401 to a token it thought valid: one new token, one more try (the signing key changed)', async () => {
    const { proxy, client } = await setUp('renew');
    try {
      await client.recordNow(event('before'));
      // The server comes back with a new token-signing key: tokens it issued before no longer verify.
      await t.app.close();
      await rawQuery(t.config, "DELETE FROM key_material WHERE kind = 'token_signing'");
      reopened = await reopenTestApp(t);
      proxy.setTarget(reopened.url);
      const ack = await client.recordNow(event('after'));
      assert.deepEqual(calls(proxy), ['token 200', 'events 201', 'events 401', 'token 200', 'events 201']);
      assert.equal(ack.seq, 2);
    } finally {
      await client.close();
      await proxy.close();
    }
  });

});

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { sampleEvent, startTestApp, type Session, type TestApp } from '../helpers/test-app.ts';
import { failEntriesOfType } from '../helpers/test-database.ts';

/** How many entries of `type` the organization's log holds. */
async function count(t: TestApp, orgId: string, type: string): Promise<number> {
  return (await t.app.services.query.list(orgId, { types: [type] }, 500)).entries.length;
}

describe('hardening: input that must be refused, and actions that commit with their record or not at all', () => {
  let t: TestApp;
  let owner: Session;
  before(async () => {
    t = await startTestApp({ requestTimeoutMs: 1500, maxConnections: 20 });
    await t.createUser(t.org.id, 'owner@acme.test', 'owner');
    await t.createUser(t.org.id, 'member@acme.test', 'member');
    owner = await t.signIn('owner@acme.test');
  });
  after(() => t.close());

  it('refuses a lone surrogate in a key, client, viewer or export name with 400, and writes nothing', async () => {
    const keysBefore = (await t.app.services.apiKeys.list(t.org.id)).length;
    const clientsBefore = (await t.app.services.tokens.listClients(t.org.id)).length;
    const cases: Array<[string, string]> = [
      ['/v1/api-keys', '{"name":"probe\\ud800","scopes":["admin"]}'],
      ['/v1/oauth-clients', '{"name":"probe\\udc00x","scopes":["admin"]}'],
      ['/v1/viewer-tokens', '{"viewer":{"id":"\\ud800"}}'],
      ['/v1/exports', '{"name":"a\\ud800","format":"csv"}'],
      ['/v1/settings', '{"name":"x\\ud800"}'],
    ];
    for (const [url, rawBody] of cases) {
      const method = url === '/v1/settings' ? 'PATCH' : 'POST';
      const res = await t.request(method, url, { as: owner, rawBody });
      assert.equal(res.status, 400, `${url}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'invalid_request');
      assert.match(res.body.error.message, /valid Unicode/);
    }
    assert.equal((await t.app.services.apiKeys.list(t.org.id)).length, keysBefore, 'no key was created');
    assert.equal((await t.app.services.tokens.listClients(t.org.id)).length, clientsBefore, 'no client was created');
    assert.equal((await t.request('GET', '/v1/exports', { as: owner })).body.exports.length, 0);
  });

  it('refuses NUL, CR and LF in names and viewer ids, as ingest refuses them in actor ids', async () => {
    const bodies: Array<[string, unknown]> = [
      ['/v1/api-keys', { name: 'a\u0000b', scopes: ['events:read'] }],
      ['/v1/api-keys', { name: 'a\r\nb', scopes: ['events:read'] }],
      ['/v1/oauth-clients', { name: 'x\ny', scopes: ['events:read'] }],
      ['/v1/viewer-tokens', { viewer: { id: 'v\u0000' } }],
      ['/v1/viewer-tokens', { viewer: { id: 'v1', name: 'Eve\r\nSet-Cookie: x' } }],
      ['/v1/exports', { name: 'a\nb', format: 'csv' }],
    ];
    for (const [url, body] of bodies) {
      const res = await t.request('POST', url, { as: owner, body });
      assert.equal(res.status, 400, `${url} ${JSON.stringify(body)}: ${JSON.stringify(res.body)}`);
      assert.match(JSON.stringify(res.body.error.details), /control characters/);
    }
  });

  it('an action whose self-audit entry cannot be stored is taken back whole: no key, client, invite or role change', async () => {
    const memberId = (await t.app.services.users.byEmail('member@acme.test'))!.id;
    const cases: Array<{ type: string; send: () => Promise<{ status: number }>; unchanged: () => Promise<unknown> }> = [
      {
        type: 'api_key.created',
        send: () => t.request('POST', '/v1/api-keys', { as: owner, body: { name: 'k', scopes: ['admin'] } }),
        unchanged: async () => (await t.app.services.apiKeys.list(t.org.id)).length,
      },
      {
        type: 'oauth_client.created',
        send: () => t.request('POST', '/v1/oauth-clients', { as: owner, body: { name: 'c', scopes: ['admin'] } }),
        unchanged: async () => (await t.app.services.tokens.listClients(t.org.id)).length,
      },
      {
        type: 'user.invited',
        send: () => t.request('POST', '/v1/invites', { as: owner, body: { email: 'new@acme.test', role: 'admin' } }),
        unchanged: async () => (await t.app.services.invites.list(t.org.id)).length,
      },
      {
        type: 'user.role_changed',
        send: () => t.request('PATCH', `/v1/members/${memberId}`, { as: owner, body: { role: 'admin' } }),
        unchanged: async () => (await t.app.services.users.membership(t.org.id, memberId))?.role,
      },
      {
        type: 'export.created',
        send: () => t.request('POST', '/v1/exports', { as: owner, body: { name: 'e', format: 'jsonl' } }),
        unchanged: async () => (await t.request('GET', '/v1/exports', { as: owner })).body.exports.length,
      },
      {
        type: 'retention.updated',
        send: () => t.request('PUT', '/v1/settings/retention', { as: owner, body: { retention_days: 7 } }),
        unchanged: async () => (await t.app.services.retention.status(t.org.id)).retention_days,
      },
    ];
    for (const { type, send, unchanged } of cases) {
      const before = await unchanged();
      const restore = await failEntriesOfType(t.config, type);
      try {
        const res = await send();
        assert.ok(res.status >= 500, `${type}: the action failed (${res.status})`);
      } finally {
        await restore();
      }
      assert.deepEqual(await unchanged(), before, `${type}: nothing of the action was kept`);
      assert.equal(await count(t, t.org.id, type), 0, `${type}: no entry`);
    }
  });

  it('a viewer whose first read could not be recorded is not let through unrecorded', async () => {
    const minted = await t.request('POST', '/v1/viewer-tokens', { as: owner, body: { viewer: { id: 'viewer-7' } } });
    assert.equal(minted.status, 201);
    const restore = await failEntriesOfType(t.config, 'audit_log.viewed');
    try {
      assert.ok((await t.request('GET', '/v1/events', { key: minted.body.token })).status >= 500);
    } finally {
      await restore();
    }
    assert.equal((await t.request('GET', '/v1/events', { key: minted.body.token })).status, 200);
    const viewed = (await t.app.services.query.list(t.org.id, { types: ['audit_log.viewed'], actor: 'viewer-7' }, 10)).entries;
    assert.equal(viewed.length, 1, 'recorded once, on the read that succeeded');
  });

  it('records events whose actor email is internationalized (RFC 6531), in a mixed batch', async () => {
    const emails = ['zoë.müller@example.de', '用户@例子.广告', 'ada@example.com', 'josé@bücher.example', 'not an email at all'];
    const events = Array.from({ length: 50 }, (_, i) => sampleEvent({ actor: { id: `u${i}`, email: emails[i % emails.length] } }));
    const res = await t.request('POST', '/v1/events', { body: { events } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const stored = await t.request('GET', `/v1/events/${res.body.events[0].id}`);
    assert.equal(stored.body.actor.email, 'zoë.müller@example.de');
    const invite = await t.request('POST', '/v1/invites', { as: owner, body: { email: 'zoë.müller@example.de', role: 'member' } });
    assert.equal(invite.status, 201, JSON.stringify(invite.body));
    const refused = await t.request('POST', '/v1/events', { body: sampleEvent({ actor: { id: 'u', email: 'a\u0000@b.c' } }) });
    assert.equal(refused.status, 400, 'control characters are still refused');
  });

  it('answers 400, never 500, to hostile query strings', async () => {
    const manyTypes = Array.from({ length: 1000 }, (_, i) => `type=a${i}.*`).join('&');
    const cases: Array<[string, RegExp]> = [
      [`/v1/events?${manyTypes}`, /at most 50 times/],
      ['/v1/events?q=abcd%00', /control characters/],
      ['/v1/events?actor=%0d%0aSet-Cookie', /control characters/],
      ['/v1/events?limit=0x10', /decimal digits/],
      ['/v1/events?limit=1e2', /decimal digits/],
      ['/v1/integrity/checkpoints?limit=%2010', /decimal digits/],
    ];
    for (const [url, message] of cases) {
      const res = await t.request('GET', url);
      assert.equal(res.status, 400, `${url.slice(0, 60)}: ${JSON.stringify(res.body).slice(0, 300)}`);
      assert.match(res.body.error.message, message);
    }
    assert.equal((await t.request('GET', '/v1/events?limit=16')).status, 200);
  });

  it('refuses a JSON body declared in another charset with 415', async () => {
    const res = await t.request('POST', '/v1/events', {
      rawBody: JSON.stringify(sampleEvent()),
      headers: { 'content-type': 'application/json; charset=utf-16' },
    });
    assert.equal(res.status, 415);
    assert.equal(res.body.error.code, 'unsupported_media_type');
    const utf8 = await t.request('POST', '/v1/events', {
      rawBody: JSON.stringify(sampleEvent()),
      headers: { 'content-type': 'application/json; charset=UTF-8' },
    });
    assert.equal(utf8.status, 201);
  });

  it('answers badly encoded HTTP Basic client credentials with 400 invalid_client', async () => {
    const res = await fetch(`${t.url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('%E0%A4%A:x').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error, 'invalid_client');
  });

  it('cuts off a client that sends its body too slowly (408) within the configured timeout', async () => {
    const socket = net.connect({ host: '127.0.0.1', port: Number(new URL(t.url).port) });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(`POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.org.key}\r\n`);
    socket.write('Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{');
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString()));
    const started = Date.now();
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    // One byte every 200 ms, for at most 10 s: the server must end it long before.
    const drip = setInterval(() => socket.writable && socket.write(' '), 200);
    const limit = new Promise<'still open'>((resolve) => setTimeout(() => resolve('still open'), 10_000).unref());
    const outcome = await Promise.race([closed.then(() => 'closed' as const), limit]);
    clearInterval(drip);
    socket.destroy();
    assert.equal(outcome, 'closed');
    assert.ok(Date.now() - started < 5000, `cut off after ${Date.now() - started} ms`);
    assert.match(received, /^HTTP\/1\.1 408/);
  });

  it('accepts at most the configured number of connections at once', async () => {
    const port = Number(new URL(t.url).port);
    const sockets = await Promise.all(
      Array.from({ length: 30 }, () => new Promise<net.Socket>((resolve) => {
        const socket = net.connect({ host: '127.0.0.1', port });
        socket.once('connect', () => resolve(socket));
      })),
    );
    const closedEarly = await Promise.all(
      sockets.map((socket) => new Promise<boolean>((resolve) => {
        socket.once('close', () => resolve(true));
        setTimeout(() => resolve(false), 1000).unref();
      })),
    );
    for (const socket of sockets) socket.destroy();
    const refused = closedEarly.filter(Boolean).length;
    assert.ok(refused >= 10, `${refused} of 30 connections were closed past the cap of 20`);
  });

  it('search folds non-ASCII case alike for indexed entries and for the unindexed tail', async () => {
    const first = await t.request('POST', '/v1/events', { body: sampleEvent({ action: 'Zugriff durch ÖLGESELLSCHAFT' }) });
    assert.equal(first.status, 201);
    await t.app.services.indexer.catchUp();
    const second = await t.request('POST', '/v1/events', { body: sampleEvent({ action: 'zweiter zugriff, ölgesellschaft' }) });
    assert.equal(second.status, 201);
    for (const q of ['ölgesellschaft', 'ÖLGESELLSCHAFT', 'ÖlGesellschaft zugriff']) {
      const res = await t.request('GET', `/v1/events?q=${encodeURIComponent(q)}`);
      assert.equal(res.status, 200);
      const ids = res.body.events.map((e: { id: string }) => e.id).sort();
      assert.deepEqual(ids, [first.body.events[0].id, second.body.events[0].id].sort(), q);
    }
  });
});

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { freshDataDir } from '../helpers/test-app.ts';
import { databaseEnv, dropDatabase, freshDatabaseUrl, rawQuery, storedContents } from '../helpers/test-database.ts';
import { spawn } from 'node:child_process';
import { CLI, freePort, runCliProcess, startServerProcess, waitForExit } from '../helpers/process.ts';
import { waitFor } from '../helpers/otlp-receiver.ts';

describe('auditum CLI', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let key: string;
  let databaseUrl: string | undefined;
  const target = () => ({ dataDir, databaseUrl });
  before(async () => {
    dataDir = freshDataDir('auditum-cli');
    databaseUrl = await freshDatabaseUrl();
    env = { AUDITUM_DATA_DIR: dataDir, AUDITUM_LOG_LEVEL: 'silent', ...databaseEnv(databaseUrl) };
    const org = await runCliProcess(['org', 'create', 'acme', '--name', 'Acme Corp'], env);
    assert.equal(org.code, 0, org.stderr);
    const created = await runCliProcess(['apikey', 'create', '--org', 'acme', '--scopes', 'events:write,events:read'], env);
    assert.equal(created.code, 0, created.stderr);
    key = created.stdout.trim().split('\n').at(-1)!;
  });
  after(async () => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    await dropDatabase(databaseUrl);
  });

  it('prints the new API key once, as the last line, and stores only its hash', async () => {
    assert.match(key, /^adt_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    const [row] = await rawQuery<{ key_hash: string; scopes: string }>(target(), 'SELECT key_hash, scopes FROM api_keys');
    assert.notEqual(row!.key_hash, key);
    for (const stored of await storedContents(target())) assert.ok(!stored.includes(key), 'the key is not in the database');
    assert.equal(row!.scopes, 'events:write,events:read');
  });

  it('rejects bad input with a message and exit code 2', async () => {
    const dupe = await runCliProcess(['org', 'create', 'acme'], env);
    assert.equal(dupe.code, 2);
    assert.match(dupe.stderr, /already exists/);
    const badSlug = await runCliProcess(['org', 'create', 'Not A Slug'], env);
    assert.equal(badSlug.code, 2);
    const badScope = await runCliProcess(['apikey', 'create', '--org', 'acme', '--scopes', 'events:delete'], env);
    assert.equal(badScope.code, 2);
    assert.match(badScope.stderr, /unknown scope events:delete/);
    const noOrg = await runCliProcess(['verify', '--org', 'nope'], env);
    assert.equal(noOrg.code, 2);
    assert.match(noOrg.stderr, /not found/);
  });

  it('creates a user from the shell with a generated password shown once', async () => {
    const res = await runCliProcess(['user', 'create', '--org', 'acme', '--email', 'root@acme.test', '--role', 'owner'], env);
    assert.equal(res.code, 0, res.stderr);
    const password = res.stdout.trim().split('\n').at(-1)!;
    assert.ok(password.length >= 20);
    const select = "SELECT u.password_hash, m.role FROM users u JOIN memberships m ON m.user_id = u.id WHERE u.email = 'root@acme.test'";
    const [row] = await rawQuery<{ password_hash: string; role: string }>(target(), select);
    assert.match(row!.password_hash, /^\$argon2id\$/);
    assert.equal(row!.role, 'owner');
    const badRole = await runCliProcess(['user', 'create', '--org', 'acme', '--email', 'x@acme.test', '--role', 'king'], env);
    assert.equal(badRole.code, 2);
  });

  it('stops start-up on a bad configuration value, naming it', async () => {
    const res = await runCliProcess(['serve'], { ...env, PORT: 'not-a-port' });
    assert.equal(res.code, 2);
    assert.match(res.stderr, /PORT/);
  });

  it('tails new entries as JSON lines, with filters, from another process than the server, until SIGTERM', async () => {
    const port = await freePort();
    const server = await startServerProcess({ ...env, PORT: String(port) });
    const tail = spawn(process.execPath, [CLI, 'tail', '--org', 'acme', '--result', 'failed', '--q', 'deploy'], {
      env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    tail.stdout.on('data', (d) => (stdout += d));
    tail.stderr.on('data', (d) => (stderr += d));
    try {
      const send = async (events: unknown[]) => {
        const res = await fetch(`${server.url}/v1/events`, {
          method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ events }),
        });
        assert.equal(res.status, 201);
      };
      // It starts at the head: wait until it runs (a first matching entry shows up), then send the rest.
      const lines = () => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
      await waitFor('the tail to print its first entry', async () => {
        await send([{ type: 'flow.executed', result: 'failed', actor: { id: 'ci' }, action: 'deploy probe' }]);
        return lines().length > 0;
      }, 20_000);
      await send([
        { type: 'flow.executed', result: 'success', actor: { id: 'ci' }, action: 'deploy 1 ok' },
        { type: 'flow.executed', result: 'failed', actor: { id: 'ci' }, action: 'deploy 2 broke' },
        { type: 'flow.executed', result: 'failed', actor: { id: 'ci' }, action: 'backup broke' },
      ]);
      await waitFor('deploy 2', () => lines().some((e) => e.action === 'deploy 2 broke'));
      const printed = lines();
      assert.ok(printed.every((e) => e.result === 'failed' && e.action.includes('deploy')), stdout);
      assert.ok(printed.every((e, i) => i === 0 || e.seq > printed[i - 1].seq), 'in seq order');
      assert.match(printed.at(-1).hash, /^[0-9a-f]{64}$/);
    } finally {
      tail.kill('SIGTERM');
      server.child.kill('SIGTERM');
    }
    assert.equal(await waitForExit(tail), 0, stderr);
    assert.equal(await waitForExit(server.child), 0);
    const bad = await runCliProcess(['tail', '--org', 'acme', '--result', 'maybe'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--result/);
  });

  it('serves, shuts down gracefully on SIGTERM, and verify detects tampering in the file', async () => {
    const port = await freePort();
    const server = await startServerProcess({ ...env, PORT: String(port), AUDITUM_LOG_LEVEL: 'info' });
    const events = Array.from({ length: 10 }, (_, i) => ({ type: 'user.login', actor: { id: `u${i}` }, action: `login ${i}` }));
    const res = await fetch(`${server.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events }),
    });
    assert.equal(res.status, 201);
    // Credentials in query strings are redacted from the request log.
    for (const url of ['/embed?token=eyJhbGciOi.viewer-secret.sig', '/invite?token=invite-secret-123']) {
      await (await fetch(`${server.url}${url}`)).arrayBuffer();
    }
    server.child.kill('SIGTERM');
    assert.equal(await waitForExit(server.child), 0);
    const logLines = server.output().trim().split('\n');
    assert.ok(logLines.every((line) => JSON.parse(line).level !== undefined), 'logs are JSON lines');
    assert.ok(!server.output().includes(key), 'the API key never appears in the log');
    for (const secret of ['viewer-secret', 'invite-secret-123']) assert.ok(!server.output().includes(secret), `${secret} is not logged`);
    assert.match(server.output(), /token=\[redacted\]/);

    const ok = await runCliProcess(['verify', '--org', 'acme'], env);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    // The 10 ingested events, the CLI's own records before them, and the alerts those raised.
    const types = (await rawQuery<{ type: string }>(target(), 'SELECT type FROM events ORDER BY seq')).map((r) => r.type);
    assert.deepEqual(types.filter((type) => type !== 'alert.triggered').slice(0, 3), ['org.created', 'api_key.created', 'user.created']);
    assert.equal(types.filter((type) => type === 'user.login').length, 10);
    assert.deepEqual(JSON.parse(ok.stdout), { ok: true, checked: types.length, first_bad_seq: null, reason: null });

    await rawQuery(target(), "UPDATE events SET action = 'nothing happened' WHERE seq = 4");
    const bad = await runCliProcess(['verify', '--org', 'acme'], env);
    assert.equal(bad.code, 1);
    const report = JSON.parse(bad.stdout);
    assert.equal(report.first_bad_seq, 4);
    assert.match(report.reason, /field was changed/);
  });

  it('records what it changes: org, API key, user and key rotation, as the system actor cli or the --as user', async () => {
    const entries = () => {
      return rawQuery<Record<string, string>>(target(), 'SELECT type, actor_id, actor_type, actor_email FROM events ORDER BY seq');
    };
    const first = (await entries()).slice(0, 3);
    assert.deepEqual(first.map((e) => e.type), ['org.created', 'api_key.created', 'user.created']);
    for (const e of first) assert.deepEqual([e.actor_type, e.actor_id], ['system', 'cli']);
    const as = await runCliProcess(['apikey', 'create', '--org', 'acme', '--name', 'ops', '--as', 'root@acme.test'], env);
    assert.equal(as.code, 0, as.stderr);
    const byUser = (await entries()).filter((e) => e.type === 'api_key.created').at(-1)!;
    assert.deepEqual([byUser.actor_type, byUser.actor_email], ['user', 'root@acme.test']);
    const unknown = await runCliProcess(['apikey', 'create', '--org', 'acme', '--as', 'nobody@acme.test'], env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /--as nobody@acme.test: no user has that email/);
    const rotated = await runCliProcess(['integrity', 'rotate-key'], env);
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.equal((await entries()).filter((e) => e.type === 'checkpoint_key.rotated').length, 1);
  });
});

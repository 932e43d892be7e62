import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { freshDataDir } from '../helpers/test-app.ts';
import { databaseEnv, dropDatabase, freshDatabaseUrl } from '../helpers/test-database.ts';
import { freePort, runCliProcess, startServerProcess, waitForExit } from '../helpers/process.ts';

/** `events list`, `export`, and how every command answers --help, a missing argument and an unknown option. */
describe('auditum CLI: events list, export, help and argument errors', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let databaseUrl: string | undefined;
  const cli = (args: string[]) => runCliProcess(args, env);
  before(async () => {
    dataDir = freshDataDir('auditum-cli-commands');
    databaseUrl = await freshDatabaseUrl();
    env = { AUDITUM_DATA_DIR: dataDir, AUDITUM_LOG_LEVEL: 'silent', ...databaseEnv(databaseUrl) };
    assert.equal((await cli(['org', 'create', 'acme'])).code, 0);
    const created = await cli(['apikey', 'create', '--org', 'acme']);
    const key = created.stdout.trim().split('\n').at(-1)!;
    // Entries are recorded through a server, which is stopped before the commands run.
    const server = await startServerProcess({ ...env, PORT: String(await freePort()) });
    const events = Array.from({ length: 30 }, (_, i) => ({
      type: i % 3 === 0 ? 'login.failure' : 'user.login',
      result: i % 3 === 0 ? 'failed' : 'success',
      action: `Attempt ${i}\nsecond line`,
      actor: { id: `u-${i % 4}`, email: `user${i % 4}@acme.test` },
      occurred_at: new Date(Date.now() - (30 - i) * 60_000).toISOString(),
    }));
    const res = await fetch(`${server.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events }),
    });
    assert.equal(res.status, 201);
    server.child.kill('SIGTERM');
    assert.equal(await waitForExit(server.child), 0);
  });
  after(async () => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    await dropDatabase(databaseUrl);
  });

  it('lists entries as a table, or as JSON lines with --json, with the filters of GET /v1/events', async () => {
    const table = await cli(['events', 'list', '--org', 'acme', '--type', 'login.failure', '--limit', '5']);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trim().split('\n');
    assert.match(lines[0]!, /^TIME \(UTC\)\s+TYPE\s+RESULT\s+ACTOR\s+ACTION$/);
    assert.equal(lines.length, 1 + 5 + 1);
    assert.match(lines[1]!, /login\.failure\s+failed\s+user3@acme\.test\s+Attempt 27 second line$/);
    assert.equal(lines.at(-1), '5 entries, newest first');
    const json = await cli(['events', 'list', '--org', 'acme', '--result', 'failed', '--actor', 'user0@acme.test', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const entries = json.stdout.trim().split('\n').map((l) => JSON.parse(l));
    // i = 0, 12, 24 have actor 0 and are failures (every third); newest first.
    assert.deepEqual(entries.map((e) => e.action.split('\n')[0]), ['Attempt 24', 'Attempt 12', 'Attempt 0']);
    const none = await cli(['events', 'list', '--org', 'acme', '--q', 'nothing-like-this']);
    assert.equal(none.stdout.trim(), `${'TIME (UTC)'.padEnd(24)}${'TYPE'.padEnd(26)}${'RESULT'.padEnd(8)}${'ACTOR'.padEnd(28)}ACTION\nno entries match`);
    const bad = await cli(['events', 'list', '--org', 'acme', '--result', 'sideways']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^auditum: --result: /);
  });

  it('exports with no server running: queues, runs the job, writes the file in time order, and records it', async () => {
    const out = path.join(dataDir, 'failures.csv');
    const res = await cli(['export', '--org', 'acme', '--format', 'csv', '--result', 'failed', '--out', out, '--name', 'Failures']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^wrote 10 entries \(\d+ bytes, time order\) to /);
    const rows = parse(fs.readFileSync(out, 'utf8'), { columns: true }) as Array<Record<string, string>>;
    assert.equal(rows.length, 10);
    assert.ok(rows.every((row) => row.result === 'failed'));
    assert.deepEqual(rows.map((r) => r.occurred_at), rows.map((r) => r.occurred_at).sort().reverse(), 'newest first');
    const recorded = await cli(['events', 'list', '--org', 'acme', '--type', 'export.created', '--type', 'export.downloaded', '--json']);
    assert.deepEqual(recorded.stdout.trim().split('\n').map((l) => JSON.parse(l).type), ['export.downloaded', 'export.created']);
    const noOut = await cli(['export', '--org', 'acme', '--format', 'csv']);
    assert.equal(noOut.code, 2);
    assert.match(noOut.stderr, /--out FILE is required/);
    const badFormat = await cli(['export', '--org', 'acme', '--format', 'pdf', '--out', out]);
    assert.equal(badFormat.code, 2);
    assert.match(badFormat.stderr, /^auditum: --format: /);
  });

  it('answers --help per command, and a missing argument or unknown option in one line with the usage, exit 2', async () => {
    const help = await cli(['apikey', 'create', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^usage:\n {2}apikey create --org SLUG/);
    assert.doesNotMatch(help.stdout, /user create/, 'only that command');
    const all = await cli(['--help']);
    assert.equal(all.code, 0);
    for (const command of ['serve', 'events list', 'export', 'tail', 'db copy', 'user create']) assert.match(all.stdout, new RegExp(`\\n {2}${command} `));
    const cases: Array<[string[], RegExp]> = [
      [['apikey', 'create'], /^auditum: apikey create needs --org SLUG\n/],
      [['org', 'create'], /^auditum: org create needs SLUG\n/],
      [['integrity'], /^auditum: integrity needs one of: export, checkpoint, rotate-key\n/],
      [['user', 'create', '--password', 'x'], /^auditum: Unknown option '--password'/],
      [['frobnicate'], /^auditum: no command "frobnicate"/],
    ];
    for (const [args, first] of cases) {
      const res = await cli(args);
      assert.equal(res.code, 2, args.join(' '));
      assert.match(res.stderr, first);
      assert.match(res.stderr, /\nusage:/);
      assert.doesNotMatch(res.stderr, /\n\s+at /, 'no stack trace');
    }
  });
});

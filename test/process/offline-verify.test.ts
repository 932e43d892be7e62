import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freshDataDir } from '../helpers/test-app.ts';
import { databaseEnv, dropDatabase } from '../helpers/test-database.ts';
import { runCliProcess } from '../helpers/process.ts';
import { startTestApp, sampleEvent } from '../helpers/test-app.ts';

/** The export and offline verifier, run as real CLI processes against files. */
describe('auditum verify --file (offline)', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let databaseUrl: string | undefined;
  let lines: string[];
  const file = (name: string) => path.join(dataDir, name);
  const verify = async (jsonl: string[], checkpoint = 'cp.txt', key = 'pub.pem') => {
    fs.writeFileSync(file('t.jsonl'), jsonl.join('\n') + '\n');
    const res = await runCliProcess(['verify', '--file', file('t.jsonl'), '--checkpoint', file(checkpoint), '--key', file(key)], env);
    return { code: res.code, report: JSON.parse(res.stdout || '{}'), stderr: res.stderr };
  };

  before(async () => {
    dataDir = freshDataDir('auditum-offline');
    const t = await startTestApp({ dataDir });
    databaseUrl = t.config.databaseUrl;
    env = { AUDITUM_DATA_DIR: dataDir, AUDITUM_LOG_LEVEL: 'silent', ...databaseEnv(databaseUrl) };
    await t.request('POST', '/v1/events', { body: { events: Array.from({ length: 12 }, (_, i) => sampleEvent({ action: `act ${i + 1}`, metadata: { i } })) } });
    const one = await t.request('GET', '/v1/events?limit=1');
    await t.app.close();
    for (const args of [['integrity', 'export', '--org', 'acme', '--out', file('export.jsonl')], ['integrity', 'checkpoint', '--org', 'acme', '--out', file('cp.txt'), '--key-out', file('pub.pem')]]) {
      const res = await runCliProcess(args, env);
      assert.equal(res.code, 0, res.stderr);
    }
    lines = fs.readFileSync(file('export.jsonl'), 'utf8').trim().split('\n');
    assert.equal(lines.length, 12);
    assert.deepEqual(JSON.parse(lines[11]!), one.body.events[0], 'a line is the entry as GET /v1/events returns it');
  });
  after(async () => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    await dropDatabase(databaseUrl);
  });

  it('passes on an untouched export with its checkpoint, and without one', async () => {
    assert.deepEqual((await verify(lines)).report, { ok: true, checked: 12, first_bad_seq: null, reason: null });
    const bare = await runCliProcess(['verify', '--file', file('export.jsonl')], env);
    assert.equal(bare.code, 0, bare.stdout + bare.stderr);
  });

  it('detects an edited field', async () => {
    const edited = [...lines];
    edited[4] = JSON.stringify({ ...JSON.parse(edited[4]!), action: 'nothing happened' });
    const { code, report } = await verify(edited);
    assert.equal(code, 1);
    assert.equal(report.first_bad_seq, 5);
    assert.match(report.reason, /seq 5 content does not match its hash/);
  });

  it('detects a deleted line', async () => {
    const { code, report } = await verify(lines.filter((_, i) => i !== 2));
    assert.equal(code, 1);
    assert.equal(report.first_bad_seq, 3);
    assert.match(report.reason, /seq 3 is missing/);
  });

  it('detects an inserted line', async () => {
    const forged = { ...JSON.parse(lines[5]!), id: 'forged', actor: { id: 'intruder', type: 'user' } };
    const shifted = lines.slice(6).map((l) => JSON.stringify({ ...JSON.parse(l), seq: JSON.parse(l).seq + 1 }));
    const { report } = await verify([...lines.slice(0, 6), JSON.stringify({ ...forged, seq: 7, prev_hash: forged.hash }), ...shifted]);
    assert.equal(report.ok, false);
    assert.equal(report.first_bad_seq, 7);
    assert.match(report.reason, /seq 7 content does not match its hash/);
  });

  it('detects reordered lines', async () => {
    const swapped = [...lines];
    [swapped[7], swapped[8]] = [swapped[8]!, swapped[7]!];
    const { report } = await verify(swapped);
    assert.equal(report.first_bad_seq, 8);
    assert.match(report.reason, /seq 8 is missing/);
  });

  it('detects a truncated tail against the checkpoint', async () => {
    const { code, report } = await verify(lines.slice(0, 9));
    assert.equal(code, 1);
    assert.equal(report.first_bad_seq, 10);
    assert.match(report.reason, /ends at seq 9 but the checkpoint covers 12 entries/);
  });

  it('detects a replaced checkpoint', async () => {
    const note = fs.readFileSync(file('cp.txt'), 'utf8').split('\n');
    note[2] = Buffer.alloc(32, 7).toString('base64');
    fs.writeFileSync(file('forged.txt'), note.join('\n'));
    const forged = await verify(lines, 'forged.txt');
    assert.equal(forged.code, 1);
    assert.match(forged.report.reason, /checkpoint signature does not verify with the given key/);

    // A genuine checkpoint made by a new key does not pass for the old key.
    assert.equal((await runCliProcess(['integrity', 'rotate-key'], env)).code, 0);
    await runCliProcess(['integrity', 'checkpoint', '--org', 'acme', '--out', file('cp2.txt')], env);
    // The rotation is recorded (checkpoint_key.rotated), so the new checkpoint covers it, signed by the new key.
    const newKey = await verify(lines, 'cp2.txt');
    assert.equal(newKey.code, 1);
    assert.match(newKey.report.reason, /checkpoint signature does not verify with the given key/);
    const garbage = await verify(lines, 'export.jsonl');
    assert.match(garbage.report.reason, /checkpoint is malformed/);
  });

  it('runs the retention purge from the CLI and verifies afterwards', async () => {
    const res = await runCliProcess(['retention', 'run', '--org', 'acme'], env);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(JSON.parse(res.stdout).purged, 0, 'nothing is past the default 365 days');
    const ok = await runCliProcess(['verify', '--org', 'acme'], env);
    assert.equal(ok.code, 0, ok.stdout);
    const missing = await runCliProcess(['verify', '--file', file('nope.jsonl')], env);
    assert.equal(missing.code, 2);
  });
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../helpers/process.ts';
import { storedIds } from '../helpers/sdk.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

/** Runs a small program using the SDK in its own process; its exit code and stderr. Killed after 20 s. */
function runProgram(source: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

const program = (ending: string) => `
  import { createClient } from '@auditum/client';
  const client = createClient({ url: process.env.URL, apiKey: process.env.KEY, maxWaitMs: 60000 });
  client.on('error', () => {});
  for (let i = 0; i < 3; i++) client.record({ type: 'user.login', actor: { id: 'script' }, action: 'run ' + i });
  ${ending}
`;

describe('@auditum/client: a process that exits with unsent events', () => {
  let t: TestApp;
  let nowhere: string;
  before(async () => {
    t = await startTestApp();
    nowhere = `http://127.0.0.1:${await freePort()}`;
  });
  after(() => t.close());

  it('process.exit() with events queued: a warning on stderr says how many', async () => {
    const org = await t.createOrg('exit-now');
    const { code, stderr } = await runProgram(program('process.exit(0);'), { URL: t.url, KEY: org.key });
    assert.equal(code, 0);
    assert.match(stderr, /auditum client: the process is exiting with 3 event\(s\) not acknowledged/);
    assert.deepEqual(await storedIds(t.config, org.id), []);
  });

  it('a program that just ends: the queued events are sent when the event loop runs dry, no warning', async () => {
    const org = await t.createOrg('falls-off');
    const { code, stderr } = await runProgram(program(''), { URL: t.url, KEY: org.key });
    assert.equal(code, 0);
    assert.doesNotMatch(stderr, /auditum client/);
    assert.equal((await storedIds(t.config, org.id)).length, 3);
  });

  it('a program that ends while the server cannot be reached: it exits (no endless retries) with the warning', async () => {
    const { code, stderr } = await runProgram(program(''), { URL: nowhere, KEY: 'adt_unused' });
    assert.equal(code, 0, 'ended by itself, not killed');
    assert.match(stderr, /exiting with 3 event\(s\) not acknowledged by http:\/\/127\.0\.0\.1:\d+\//);
  });
});

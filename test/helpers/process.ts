import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Run as a program, as `npm start` runs it: with the Node flags of its first line. */
export const CLI = path.resolve('bin/auditum.mjs');

/**
 * Runs the real CLI to completion; returns exit code and output. After `timeoutMs` (when given) it
 * is killed and the code is -1: for commands expected to stop by themselves (`serve` refusing to start).
 */
export function runCliProcess(
  args: string[],
  env: Record<string, string>,
  timeoutMs?: number,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(CLI, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/**
 * Starts `auditum serve` as a child process and waits (bounded) until /healthz answers.
 * `stdout` sends the server's log to that file descriptor instead of collecting it.
 */
export async function startServerProcess(
  env: Record<string, string>,
  options: { stdout?: number; healthTimeoutMs?: number } = {},
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(CLI, ['serve'], {
    env: { ...process.env, HOST: '127.0.0.1', AUDITUM_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', options.stdout ?? 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${env.PORT}`;
  // Bounded in time: a server that accepts connections but never answers costs 2 s a try.
  const deadline = Date.now() + (options.healthTimeoutMs ?? 30_000);
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    if (child.exitCode !== null) throw new Error(`server exited early (${child.exitCode}): ${output}`);
    const ok = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
    if (ok) return { child, url, output: () => output };
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`server did not become healthy: ${output}`);
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export function waitForExit(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
  });
}

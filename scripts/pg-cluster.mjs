// A throwaway PostgreSQL cluster for tests and benchmarks: initdb into a temporary directory,
// listening on 127.0.0.1 on a free port, stopped and removed by stop(). Run as root, the server
// runs as the `postgres` user (initdb refuses root).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The newest PostgreSQL server binaries on this machine, or null. */
export function findPostgresBin() {
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return null;
  const versions = fs
    .readdirSync(root)
    .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(root, versions[0], 'bin') : null;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Runs a server binary, as `postgres` when we are root. */
function run(bin, args, options = {}) {
  const asRoot = process.getuid?.() === 0;
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  return execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
}

/**
 * Starts a cluster. `durable: false` (tests) turns off fsync for speed; benchmarks keep the
 * defaults so commit costs are real. Resolves to { url, stop }.
 */
export async function startCluster({ durable = false } = {}) {
  const bin = findPostgresBin();
  if (!bin) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql/*/bin');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'auditum-pg-'));
  fs.chmodSync(dir, 0o755);
  const data = path.join(dir, 'data');
  const socketDir = path.join(dir, 'sock');
  fs.mkdirSync(socketDir);
  if (process.getuid?.() === 0) execFileSync('chown', ['-R', 'postgres:postgres', dir]);
  run(path.join(bin, 'initdb'), ['-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C.UTF-8', '-D', data]);
  const port = await freePort();
  const settings = [
    `-c listen_addresses=127.0.0.1`,
    `-p ${port}`,
    `-k ${socketDir}`,
    `-c max_connections=200`,
    `-c shared_buffers=128MB`,
    ...(durable ? [] : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
  ].join(' ');
  run(path.join(bin, 'pg_ctl'), ['-D', data, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', '-o', settings, 'start']);
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    logFile: path.join(dir, 'server.log'),
    stop() {
      if (stopped) return;
      stopped = true;
      spawnSync(process.getuid?.() === 0 ? 'runuser' : path.join(bin, 'pg_ctl'), [
        ...(process.getuid?.() === 0 ? ['-u', 'postgres', '--', path.join(bin, 'pg_ctl')] : []),
        '-D', data, '-m', 'immediate', '-w', 'stop',
      ], { stdio: 'ignore' });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

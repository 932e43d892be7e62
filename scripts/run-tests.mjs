#!/usr/bin/env node
// Runs every *.test.ts under test/ with Node's test runner and the tsx loader, once per database:
// SQLite always; PostgreSQL against AUDITUM_TEST_DATABASE_URL, or a throwaway cluster started here
// when the server binaries are installed (/usr/lib/postgresql/*/bin). Unit tests touch no database
// and run in the SQLite half only. Arguments filter test files by substring.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { findPostgresBin, startCluster } from './pg-cluster.mjs';

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return find(full);
    return name.endsWith('.test.ts') ? [full] : [];
  });
}

const filter = process.argv.slice(2);
const files = find('test').filter((f) => filter.length === 0 || filter.some((part) => f.includes(part))).sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const dialects = (process.env.AUDITUM_TEST_DIALECTS ?? 'sqlite,postgres').split(',').map((d) => d.trim());

/** Runs the files under one dialect; resolves to the runner's pass/fail counts and exit code. */
function run(dialect, list, env) {
  return new Promise((resolve) => {
    console.log(`\n=== ${dialect}: ${list.length} test files ===\n`);
    const args = ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...list];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
    // The reporter's summary lines (ℹ pass N, ...) come before its list of failures: remember the last seen.
    const counts = { pass: 0, fail: 0, skipped: 0 };
    let partial = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const match = /^ℹ (pass|fail|skipped) (\d+)$/.exec(line.trim());
        if (match) counts[match[1]] = Number(match[2]);
      }
    });
    child.on('close', (code) => resolve({ dialect, code: code ?? 1, ...counts }));
  });
}

const results = [];
if (dialects.includes('sqlite')) results.push(await run('sqlite', files, { AUDITUM_TEST_DIALECT: 'sqlite' }));
if (dialects.includes('postgres')) {
  const pgFiles = files.filter((f) => !f.startsWith(path.join('test', 'unit')));
  let url = process.env.AUDITUM_TEST_DATABASE_URL;
  let cluster;
  if (!url && findPostgresBin()) {
    cluster = await startCluster();
    url = cluster.url;
  }
  if (pgFiles.length === 0) {
    console.log('\n=== postgres: no matching test touches the database ===');
  } else if (!url) {
    console.log('\n=== postgres: SKIPPED: no PostgreSQL server binaries under /usr/lib/postgresql/*/bin and no AUDITUM_TEST_DATABASE_URL ===');
  } else {
    try {
      results.push(await run('postgres', pgFiles, { AUDITUM_TEST_DIALECT: 'postgres', AUDITUM_TEST_DATABASE_URL: url }));
    } finally {
      cluster?.stop();
    }
  }
}

console.log('');
for (const r of results) console.log(`${r.dialect}: ${r.pass} passed, ${r.fail} failed, ${r.skipped} skipped (exit ${r.code})`);
const pass = results.reduce((n, r) => n + r.pass, 0);
const fail = results.reduce((n, r) => n + r.fail, 0);
console.log(`total: ${pass} passed, ${fail} failed`);
process.exit(results.every((r) => r.code === 0) ? 0 : 1);

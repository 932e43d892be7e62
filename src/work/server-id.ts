import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createPrivateFile, makePrivateDir } from '../data-dir.ts';

const FILE = 'server-id';

/**
 * This server's id among those sharing the database, kept in its data dir: a server that restarts
 * after a crash is the same server, and resumes the jobs it left running at once (others wait for
 * their leases to run out). Each server needs a data dir of its own.
 */
export function serverId(dataDir: string): string {
  const file = path.join(dataDir, FILE);
  try {
    makePrivateDir(dataDir);
    createPrivateFile(file, Buffer.from(`${randomUUID()}\n`));
  } catch {
    // A full or read-only data dir (the server still answers reads): an id for this run only.
    if (!fs.existsSync(file)) return randomUUID();
  }
  const id = fs.readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f-]{36}$/.test(id)) throw new Error(`${file} does not hold a server id; delete it to make a new one`);
  return id;
}

import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createPrivateFile, makePrivateDir } from '../data-dir.ts';

/**
 * The HMAC key for Auditum's own short-lived tokens (OAuth2 access tokens, viewer tokens):
 * 256 random bits in `<dataDir>/token-signing.key`, created on first use, readable by the owner only.
 */
export function loadSigningKey(dataDir: string): Uint8Array {
  const file = path.join(dataDir, 'token-signing.key');
  try {
    return new Uint8Array(fs.readFileSync(file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  makePrivateDir(dataDir);
  const key = randomBytes(32);
  // False when another process created it meanwhile; then that one is read.
  if (createPrivateFile(file, key)) return new Uint8Array(key);
  return new Uint8Array(fs.readFileSync(file));
}

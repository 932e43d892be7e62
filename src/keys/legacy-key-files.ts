import fs from 'node:fs';
import path from 'node:path';
import { createPrivateKey, randomBytes } from 'node:crypto';
import { createPrivateFile } from '../data-dir.ts';
import { KeyMaterialError, type KeyKind } from './key-kinds.ts';

/**
 * Where versions before keys moved into the database kept them, in the data dir: raw bytes
 * (token-signing.key, secret.key) and a JSON list of PEM keys, oldest first (checkpoint-keys.json).
 */
export const LEGACY_KEY_FILES: Record<KeyKind, string> = {
  token_signing: 'token-signing.key',
  secret_box: 'secret.key',
  checkpoint_signing: 'checkpoint-keys.json',
};

export interface ImportedKey {
  material: Buffer;
  createdAt: number;
}

function read(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KeyMaterialError(`cannot read ${file} to import its keys: ${(error as Error).message}`);
  }
}

function checkpointKeys(file: string, content: Buffer): ImportedKey[] {
  let keys: Array<{ created_at: number; private_pem: string }>;
  try {
    keys = (JSON.parse(content.toString('utf8')) as { keys: typeof keys }).keys;
    if (!Array.isArray(keys)) throw new Error('no key list');
  } catch {
    // Not the parser's words: they may quote the file, which holds private keys.
    throw new KeyMaterialError(`cannot import ${file}: it is not the JSON key list older versions wrote`);
  }
  return keys.map((key, i) => {
    try {
      return { material: createPrivateKey(key.private_pem).export({ format: 'der', type: 'pkcs8' }), createdAt: Number(key.created_at) };
    } catch {
      throw new KeyMaterialError(`cannot import ${file}: key ${i + 1} is not a PEM private key`);
    }
  });
}

/** The keys of the older files present in `dataDir`, by kind; kinds without a file are absent. */
export function readLegacyKeys(dataDir: string): Partial<Record<KeyKind, ImportedKey[]>> {
  const found: Partial<Record<KeyKind, ImportedKey[]>> = {};
  for (const [kind, name] of Object.entries(LEGACY_KEY_FILES) as Array<[KeyKind, string]>) {
    const file = path.join(dataDir, name);
    const content = read(file);
    if (!content) continue;
    if (kind === 'checkpoint_signing') {
      found[kind] = checkpointKeys(file, content);
      continue;
    }
    if (content.length !== 32) throw new KeyMaterialError(`cannot import ${file}: it must hold exactly 32 bytes`);
    found[kind] = [{ material: content, createdAt: Math.round(fs.statSync(file).mtimeMs) }];
  }
  return found;
}

/** The older key files still in `dataDir` (full paths). */
export function legacyKeyFiles(dataDir: string): string[] {
  return Object.values(LEGACY_KEY_FILES).map((name) => path.join(dataDir, name)).filter((file) => fs.existsSync(file));
}

/**
 * secret.key as the older versions kept it, created when absent. Only for migration 0009, which
 * sealed webhook URLs before keys moved into the database; the keyring imports this file next.
 */
export function legacySecretBoxKey(dataDir: string): Buffer {
  const file = path.join(dataDir, LEGACY_KEY_FILES.secret_box);
  createPrivateFile(file, randomBytes(32));
  return fs.readFileSync(file);
}

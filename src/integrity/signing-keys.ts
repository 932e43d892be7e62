import fs from 'node:fs';
import path from 'node:path';
import { PRIVATE_FILE_MODE } from '../data-dir.ts';
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { keyId, verifierKey } from './signed-note.ts';

/** The name on every checkpoint signature line. */
export const KEY_NAME = 'auditum';
const FILE = 'checkpoint-keys.json';

interface StoredKey {
  key_id: string;
  created_at: number;
  private_pem: string;
}

export interface PublicKeyInfo {
  name: string;
  key_id: string;
  active: boolean;
  created_at: string;
  public_key_pem: string;
  /** C2SP verifier key string. */
  verifier_key: string;
}

/**
 * Ed25519 checkpoint signing keys, kept in `checkpoint-keys.json` in the data dir (mode 0600),
 * generated on first use. Rotation appends a new key and makes it active; old keys stay so that
 * old checkpoints can still be checked.
 */
export function openSigningKeys(dataDir: string) {
  const file = path.join(dataDir, FILE);
  let keys: StoredKey[] = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { keys: StoredKey[] }).keys : [];

  /** Writes the key list beside the file and renames it into place: a full disk leaves the old file whole. */
  function save(next: StoredKey[]) {
    const tmp = `${file}.tmp`;
    try {
      fs.writeFileSync(tmp, JSON.stringify({ keys: next }, null, 2), { mode: PRIVATE_FILE_MODE });
      fs.renameSync(tmp, file);
    } catch (error) {
      fs.rmSync(tmp, { force: true });
      throw error;
    }
  }

  /** Adds a new key and makes it the one that signs; returns its id. */
  function rotate(): string {
    const { privateKey } = generateKeyPairSync('ed25519');
    const key_id = keyId(KEY_NAME, createPublicKey(privateKey)).toString('hex');
    const next = [...keys, { key_id, created_at: Date.now(), private_pem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() }];
    // Only a key that is stored may sign: the list in memory changes after the write succeeded.
    save(next);
    keys = next;
    return key_id;
  }

  /** The active (newest) key. */
  function active(): { keyId: string; privateKey: KeyObject } {
    if (keys.length === 0) rotate();
    const newest = keys[keys.length - 1]!;
    return { keyId: newest.key_id, privateKey: createPrivateKey(newest.private_pem) };
  }

  /** Every public key, newest first, old ones included. */
  function list(): PublicKeyInfo[] {
    return keys
      .map((k, i) => {
        const publicKey = createPublicKey(createPrivateKey(k.private_pem));
        return {
          name: KEY_NAME,
          key_id: k.key_id,
          active: i === keys.length - 1,
          created_at: new Date(k.created_at).toISOString(),
          public_key_pem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
          verifier_key: verifierKey(KEY_NAME, publicKey),
        };
      })
      .reverse();
  }

  return { active, rotate, list };
}

export type SigningKeys = ReturnType<typeof openSigningKeys>;

import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { generateKey } from '../keys/key-kinds.ts';
import type { Keyring, KeyVersion } from '../keys/keyring.ts';
import { keyId, verifierKey } from './signed-note.ts';

/** The name on every checkpoint signature line. */
export const KEY_NAME = 'auditum';
const KIND = 'checkpoint_signing';

export interface PublicKeyInfo {
  name: string;
  key_id: string;
  active: boolean;
  created_at: string;
  public_key_pem: string;
  /** C2SP verifier key string. */
  verifier_key: string;
}

interface SigningKey {
  keyId: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  createdAt: number;
}

/**
 * The Ed25519 checkpoint signing keys, kept in the keyring (the database). Rotation adds a new key
 * and makes it the one that signs; old keys stay so that old checkpoints can still be checked.
 * Each call first reads keys another server or the CLI added, so all servers sign with the newest.
 */
export function createSigningKeys({ keyring }: { keyring: Keyring }) {
  const parsed = new Map<number, SigningKey>();
  const parse = (key: KeyVersion): SigningKey => {
    let found = parsed.get(key.version);
    if (!found) {
      const privateKey = createPrivateKey({ key: key.material, format: 'der', type: 'pkcs8' });
      const publicKey = createPublicKey(privateKey);
      found = { keyId: keyId(KEY_NAME, publicKey).toString('hex'), privateKey, publicKey, createdAt: key.createdAt };
      parsed.set(key.version, found);
    }
    return found;
  };

  async function keys(): Promise<SigningKey[]> {
    await keyring.refresh(KIND);
    return keyring.all(KIND).map(parse);
  }

  /** Adds a new key and makes it the one that signs; returns its id. */
  async function rotate(): Promise<string> {
    return parse(await keyring.add(KIND, generateKey(KIND))).keyId;
  }

  /** The active (newest) key. */
  async function active(): Promise<{ keyId: string; privateKey: KeyObject }> {
    const newest = (await keys()).at(-1)!;
    return { keyId: newest.keyId, privateKey: newest.privateKey };
  }

  /** Every public key, newest first, old ones included. */
  async function list(): Promise<PublicKeyInfo[]> {
    const all = await keys();
    return all
      .map((key, i) => ({
        name: KEY_NAME,
        key_id: key.keyId,
        active: i === all.length - 1,
        created_at: new Date(key.createdAt).toISOString(),
        public_key_pem: key.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
        verifier_key: verifierKey(KEY_NAME, key.publicKey),
      }))
      .reverse();
  }

  return { active, rotate, list };
}

export type SigningKeys = ReturnType<typeof createSigningKeys>;

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { ConfigError } from '../config.ts';

/**
 * The key material Auditum keeps, one kind per use: the HMAC key of its own tokens and device
 * cookies, the AES key of sealed settings (secret box), and the Ed25519 checkpoint signing keys
 * (PKCS#8 DER; the only kind that is rotated, so it has versions beyond 1).
 */
export type KeyKind = 'token_signing' | 'secret_box' | 'checkpoint_signing';

export const KEY_KINDS: readonly KeyKind[] = ['token_signing', 'secret_box', 'checkpoint_signing'];

/** New key material of `kind`. */
export function generateKey(kind: KeyKind): Buffer {
  if (kind !== 'checkpoint_signing') return randomBytes(32);
  return generateKeyPairSync('ed25519').privateKey.export({ format: 'der', type: 'pkcs8' });
}

/**
 * The stored keys cannot be used as configured (no key-encryption key, the wrong one, an
 * unreadable key file): start-up stops with this one line rather than making new keys.
 */
export class KeyMaterialError extends ConfigError {}

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encrypts small secrets (outbound header values, webhook URLs and secrets) at rest with
 * AES-256-GCM under `key` (the database's secret-box key, see keys/keyring.ts).
 * `context` is bound as additional authenticated data, so a ciphertext copied to another
 * organization's row or another header name fails to decrypt instead of leaking.
 */
export function createSecretBox({ key }: { key: Uint8Array }) {
  if (key.length !== KEY_BYTES) throw new Error(`a secret box key must be ${KEY_BYTES} bytes`);
  const aesKey = Buffer.from(key);

  /** Returns base64(iv | tag | ciphertext). */
  function seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', aesKey, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  /** Decrypts what `seal` produced with the same key and context; throws if either differs or it was altered. */
  function open(sealed: string, context: string): string {
    const raw = Buffer.from(sealed, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', aesKey, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }

  return { seal, open };
}

export type SecretBox = ReturnType<typeof createSecretBox>;

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createPrivateFile } from '../data-dir.ts';

/** The key file's name inside the data directory. Losing it makes stored secrets unreadable (they must be entered again). */
export const SECRET_KEY_FILE = 'secret.key';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encrypts small secrets (outbound header values) at rest with AES-256-GCM under a key kept in a
 * file in the data directory, created (mode 0600) the first time a secret is stored.
 * `context` is bound as additional authenticated data, so a ciphertext copied to another
 * organization's row or another header name fails to decrypt instead of leaking.
 */
export function createSecretBox({ dataDir }: { dataDir: string }) {
  let key: Buffer | undefined;

  function loadKey(): Buffer {
    if (key) return key;
    const file = path.join(dataDir, SECRET_KEY_FILE);
    createPrivateFile(file, randomBytes(KEY_BYTES));
    const read = fs.readFileSync(file);
    if (read.length !== KEY_BYTES) throw new Error(`${file} must hold exactly ${KEY_BYTES} bytes`);
    key = read;
    return key;
  }

  /** Returns base64(iv | tag | ciphertext). */
  function seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', loadKey(), iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  /** Decrypts what `seal` produced with the same context; throws if it was altered. */
  function open(sealed: string, context: string): string {
    const raw = Buffer.from(sealed, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', loadKey(), raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }

  return { seal, open };
}

export type SecretBox = ReturnType<typeof createSecretBox>;

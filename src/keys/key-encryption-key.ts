import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.ts';
import { createPrivateFile, makePrivateDir } from '../data-dir.ts';
import { createSecretBox } from '../access/secret-box.ts';
import { KeyMaterialError } from './key-kinds.ts';
import { decodeKeyText, KEK_BYTES } from './key-text.ts';

/** The key-encryption key an SQLite data dir keeps when none is configured. */
export const KEK_FILE = 'secret-kek.key';

export type KekSettings = Pick<Config, 'secretKey' | 'secretKeyFile'>;

/** The key that seals every stored key (AES-256-GCM). Never logged, never stored in the database. */
export interface KeyEncryptionKey {
  /** What supplied it, for messages: AUDITUM_SECRET_KEY, AUDITUM_SECRET_KEY_FILE (path), or the data dir's file. */
  readonly source: string;
  /** Seals key material for storage, bound to `label` (the row it goes in). */
  wrap(material: Uint8Array, label: string): string;
  /** Opens what `wrap` sealed under the same label; a KeyMaterialError when this key did not seal it. */
  unwrap(sealed: string, label: string): Buffer;
}

function fromBytes(key: Buffer, source: string): KeyEncryptionKey {
  const box = createSecretBox({ key });
  return {
    source,
    wrap: (material, label) => box.seal(Buffer.from(material).toString('base64'), label),
    unwrap(sealed, label) {
      try {
        return Buffer.from(box.open(sealed, label), 'base64');
      } catch {
        throw new KeyMaterialError(`${source} does not decrypt the stored keys; configure the key they were stored with`);
      }
    },
  };
}

/** The key written as text in `file` (base64 or hex, as AUDITUM_SECRET_KEY takes it). */
function readKeyFile(file: string, name: string): Buffer {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new KeyMaterialError(`cannot read ${name}: ${(error as Error).message}`);
  }
  const key = decodeKeyText(text);
  if (!key) throw new KeyMaterialError(`${name} must hold ${KEK_BYTES} bytes written as base64 or hex`);
  return key;
}

/** `<dataDir>/secret-kek.key`, made (0600) when absent and nothing is stored yet. */
function dataDirKek(dataDir: string, hasStoredKeys: boolean): KeyEncryptionKey {
  const file = path.join(dataDir, KEK_FILE);
  if (!fs.existsSync(file)) {
    if (hasStoredKeys) {
      throw new KeyMaterialError(
        `${file} is missing and the database holds keys sealed with a key-encryption key: restore the file, ` +
          'or set AUDITUM_SECRET_KEY or AUDITUM_SECRET_KEY_FILE to the key they were stored with',
      );
    }
    makePrivateDir(dataDir);
    // False when another process made it meanwhile; then that one is read.
    createPrivateFile(file, Buffer.from(`${randomBytes(KEK_BYTES).toString('base64')}\n`));
  }
  return fromBytes(readKeyFile(file, file), file);
}

export interface KekOptions {
  settings: KekSettings;
  dataDir: string;
  /** Whether the data dir may supply the key when none is configured (DialectAdapter.keyEncryptionKeyInDataDir). */
  inDataDir: boolean;
  /** Whether the database already holds sealed keys (then a missing data dir key is an error, not made anew). */
  hasStoredKeys: boolean;
}

/** The configured key-encryption key, else the data dir's where the engine allows it; else a KeyMaterialError. */
export function resolveKek({ settings, dataDir, inDataDir, hasStoredKeys }: KekOptions): KeyEncryptionKey {
  if (settings.secretKey) return fromBytes(decodeKeyText(settings.secretKey)!, 'AUDITUM_SECRET_KEY');
  if (settings.secretKeyFile) {
    const name = `AUDITUM_SECRET_KEY_FILE (${settings.secretKeyFile})`;
    return fromBytes(readKeyFile(settings.secretKeyFile, name), name);
  }
  if (inDataDir) return dataDirKek(dataDir, hasStoredKeys);
  throw new KeyMaterialError(
    'a key-encryption key is required with AUDITUM_DATABASE_URL: set AUDITUM_SECRET_KEY (32 bytes, base64 or hex) ' +
      'or AUDITUM_SECRET_KEY_FILE (a file holding it), the same on every server sharing the database',
  );
}

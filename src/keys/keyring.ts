import type { Database } from '../db/database.ts';
import { inTransaction } from '../db/unit-of-work.ts';
import { resolveKek, type KekSettings, type KeyEncryptionKey } from './key-encryption-key.ts';
import { generateKey, KEY_KINDS, type KeyKind } from './key-kinds.ts';
import { createKeyMaterialRepo, type KeyMaterialTable } from './key-material.repo.ts';
import { legacyKeyFiles, readLegacyKeys, type ImportedKey } from './legacy-key-files.ts';

/** One stored key, opened. */
export interface KeyVersion {
  kind: KeyKind;
  version: number;
  material: Buffer;
  createdAt: number;
}

/** Serializes first-start key creation and rotation between servers (any fixed number works). */
const KEY_MATERIAL_LOCK = 0x6b657973;

/** What a key's ciphertext is bound to: a sealed key moved to another row does not open. */
const label = (kind: string, version: number) => `auditum-key-material:${kind}:${version}`;

/** The row that stores `key` sealed with `kek`. */
export function sealedRow(kek: KeyEncryptionKey, key: Omit<KeyVersion, 'kind'> & { kind: string }): KeyMaterialTable {
  const ciphertext = kek.wrap(key.material, label(key.kind, key.version));
  return { kind: key.kind, version: key.version, ciphertext, created_at: key.createdAt };
}

/** Opens a stored row with `kek`; a KeyMaterialError when `kek` did not seal it. */
function openRow(kek: KeyEncryptionKey, row: KeyMaterialTable): KeyVersion {
  const version = Number(row.version);
  const material = kek.unwrap(row.ciphertext, label(row.kind, version));
  return { kind: row.kind as KeyKind, version, material, createdAt: Number(row.created_at) };
}

const missingKinds = (rows: KeyMaterialTable[]) => KEY_KINDS.filter((kind) => !rows.some((row) => row.kind === kind));

export interface KeyringOptions {
  database: Database;
  /** Where an SQLite installation keeps its key-encryption key, and where older versions kept key files. */
  dataDir: string;
  settings: KekSettings;
}

/**
 * The key material, kept in the database (key_material) sealed with the key-encryption key, and
 * held in memory once opened. The first start makes one key of each kind, importing the files an
 * older version left in the data dir (they are then no longer read), under a lock so that servers
 * starting at once end up with the same keys. Stored keys that do not open stop start-up: new keys
 * are never made in their place.
 */
export async function openKeyring({ database, dataDir, settings }: KeyringOptions) {
  const repo = createKeyMaterialRepo(database.db);
  let rows = await repo.all();
  const inDataDir = database.adapter.keyEncryptionKeyInDataDir;
  const kek = resolveKek({ settings, dataDir, inDataDir, hasStoredKeys: rows.length > 0 });

  if (missingKinds(rows).length > 0) {
    rows = await inTransaction(database.db, async (tx) => {
      await database.adapter.lockExclusive(tx, KEY_MATERIAL_LOCK);
      const stored = await repo.all(tx);
      // A wrong key-encryption key fails here, before anything sealed with it is written.
      for (const row of stored) openRow(kek, row);
      const legacy = readLegacyKeys(dataDir);
      const fresh = missingKinds(stored).flatMap((kind) => {
        const imported = legacy[kind];
        const keys: ImportedKey[] = imported?.length ? imported : [{ material: generateKey(kind), createdAt: Date.now() }];
        return keys.map((key, i) => sealedRow(kek, { kind, version: i + 1, ...key }));
      });
      await repo.insert(fresh, tx);
      return repo.all(tx);
    });
  }

  // Kinds this version does not know (stored by a newer one) are left alone.
  const versions = new Map<KeyKind, KeyVersion[]>(KEY_KINDS.map((kind) => [kind, []]));
  const remember = (row: KeyMaterialTable) => {
    const known = versions.get(row.kind as KeyKind);
    if (known && Number(row.version) > (known.at(-1)?.version ?? 0)) known.push(openRow(kek, row));
  };
  for (const row of rows) remember(row);

  /** Every key of `kind`, oldest first (as of the last refresh). */
  function all(kind: KeyKind): readonly KeyVersion[] {
    return versions.get(kind)!;
  }

  /** The newest key of `kind`. */
  function current(kind: KeyKind): Buffer {
    return all(kind).at(-1)!.material;
  }

  /** Reads keys of `kind` that another server (or the CLI) added since. */
  async function refresh(kind: KeyKind): Promise<void> {
    for (const row of await repo.newer(kind, all(kind).at(-1)?.version ?? 0)) remember(row);
  }

  /** Stores `material` as the next version of `kind` (a rotation); it becomes the current one. */
  async function add(kind: KeyKind, material: Buffer): Promise<KeyVersion> {
    const version = await inTransaction(database.db, async (tx) => {
      await database.adapter.lockExclusive(tx, KEY_MATERIAL_LOCK);
      const next = (await repo.latestVersion(kind, tx)) + 1;
      await repo.insert([sealedRow(kek, { kind, version: next, material, createdAt: Date.now() })], tx);
      return next;
    });
    await refresh(kind);
    return all(kind).find((key) => key.version === version)!;
  }

  return { all, current, refresh, add, legacyFiles: legacyKeyFiles(dataDir) };
}

export type Keyring = Awaited<ReturnType<typeof openKeyring>>;

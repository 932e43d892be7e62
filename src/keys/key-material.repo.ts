import type { Executor } from '../db/unit-of-work.ts';

/** The rows this module owns (migration 0011-key-material): each key sealed with the key-encryption key. */
export interface KeyMaterialTable {
  kind: string;
  /** 1 for the first key of a kind; a rotation adds the next number. */
  version: number;
  /** base64(iv | tag | AES-256-GCM ciphertext), bound to kind and version. */
  ciphertext: string;
  created_at: number;
}

type KeyTables = { key_material: KeyMaterialTable };

/** SQL of the key_material table; only the keys module (and the database copy) calls this. */
export function createKeyMaterialRepo(db: Executor) {
  const on = (tx?: Executor) => (tx ?? db).withTables<KeyTables>();

  /** Every stored key, by kind, oldest version first. */
  async function all(tx?: Executor): Promise<KeyMaterialTable[]> {
    return on(tx).selectFrom('key_material').selectAll().orderBy('kind').orderBy('version').execute();
  }

  /** The keys of `kind` after `version`, oldest first. */
  async function newer(kind: string, version: number, tx?: Executor): Promise<KeyMaterialTable[]> {
    return on(tx)
      .selectFrom('key_material')
      .selectAll()
      .where('kind', '=', kind)
      .where('version', '>', version)
      .orderBy('version')
      .execute();
  }

  /** The newest version of `kind`, 0 when there is none. */
  async function latestVersion(kind: string, tx?: Executor): Promise<number> {
    const row = await on(tx)
      .selectFrom('key_material')
      .select((eb) => eb.fn.max('version').as('version'))
      .where('kind', '=', kind)
      .executeTakeFirst();
    return Number(row?.version ?? 0);
  }

  /** Stores keys; a (kind, version) already stored keeps the stored key. */
  async function insert(rows: KeyMaterialTable[], tx?: Executor): Promise<void> {
    if (rows.length === 0) return;
    await on(tx)
      .insertInto('key_material')
      .values(rows)
      .onConflict((oc) => oc.columns(['kind', 'version']).doNothing())
      .execute();
  }

  /** Replaces every stored key with `rows` (a database copy brings the source's keys). */
  async function replaceAll(rows: KeyMaterialTable[], tx: Executor): Promise<void> {
    await on(tx).deleteFrom('key_material').execute();
    await insert(rows, tx);
  }

  return { all, newer, latestVersion, insert, replaceAll };
}

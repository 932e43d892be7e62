import type { Kysely } from 'kysely';

/**
 * Key material (token-signing, secret-box and checkpoint signing keys) moves from data dir files
 * into the database, so every server sharing it has the same keys; each sealed with the
 * key-encryption key (keys/keyring.ts imports the older files on first start).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('key_material')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('ciphertext', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('key_material_pk', ['kind', 'version'])
    .execute();
}

import type { Kysely } from 'kysely';

/**
 * Each checkpoint keeps the compact range (frontier) of its tree, so the next checkpoint hashes
 * only the entries added since instead of the whole tree. Older checkpoints have none (NULL).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('checkpoints').addColumn('frontier', 'text').execute();
}

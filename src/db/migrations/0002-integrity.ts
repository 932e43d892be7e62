import type { Kysely } from 'kysely';

/**
 * Retention settings and anchors (owned by retention/), signed Merkle checkpoints (owned by integrity/).
 * An organization without a retention_settings row keeps entries for the default period.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('retention_settings')
    .addColumn('org_id', 'text', (c) => c.primaryKey().references('orgs.id'))
    // NULL = keep forever.
    .addColumn('retention_days', 'integer')
    .addColumn('legal_hold', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  // The last purged entry of each organization, and the Merkle compact range of the purged
  // prefix, so the chain and the tree can still be checked after older rows are gone.
  await db.schema
    .createTable('retention_anchors')
    .addColumn('org_id', 'text', (c) => c.primaryKey().references('orgs.id'))
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('merkle_frontier', 'text', (c) => c.notNull())
    .addColumn('purged_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('checkpoints')
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
    .addColumn('tree_size', 'bigint', (c) => c.notNull())
    .addColumn('root_hash', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('note', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('checkpoints_pk', ['org_id', 'tree_size'])
    .execute();
}

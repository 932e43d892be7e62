import type { Kysely } from 'kysely';

/**
 * Erasure (README, Erasure): hash version 2 commits each personal field by a salted hash
 * (`events.personal`, with the version in `events.hash_version`; earlier entries stay version 1),
 * the organization's own personal fields are kept beside its chain head (appends read them under
 * the head's lock), and each erasure request is a row of `erasures`.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('events').addColumn('hash_version', 'integer', (c) => c.notNull().defaultTo(1)).execute();
  await db.schema.alterTable('events').addColumn('personal', 'text').execute();
  await db.schema.alterTable('chain_heads').addColumn('personal_fields', 'text', (c) => c.notNull().defaultTo('[]')).execute();
  await db.schema
    .createTable('erasures')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('dry_run', 'integer', (c) => c.notNull())
    .addColumn('subject_kind', 'text', (c) => c.notNull())
    // In clear only while the job needs it; the keyed hash stays.
    .addColumn('subject_value', 'text')
    .addColumn('subject_hash', 'text', (c) => c.notNull())
    .addColumn('from_ms', 'bigint')
    .addColumn('to_ms', 'bigint')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('skip_legacy', 'integer', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('scanned_seq', 'bigint', (c) => c.notNull())
    .addColumn('last_seq', 'bigint', (c) => c.notNull())
    .addColumn('result', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('erasures_org').on('erasures').columns(['org_id', 'created_at']).execute();
}

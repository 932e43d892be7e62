import type { Kysely } from 'kysely';

/**
 * Audit log exports: one row per requested file with its resolved filter, the chain position it
 * was taken at, progress, outcome and expiry. The work itself runs as a job (kind "export",
 * same id) in the jobs table.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('exports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('filter', 'text', (c) => c.notNull())
    .addColumn('through_seq', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('rows_written', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('progress', 'real', (c) => c.notNull().defaultTo(0))
    .addColumn('size_bytes', 'bigint')
    .addColumn('error', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('completed_at', 'bigint')
    .addColumn('expires_at', 'bigint')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('exports_org').on('exports').columns(['org_id', 'created_at']).execute();
  await db.schema.createIndex('exports_expiry').on('exports').columns(['status', 'expires_at']).execute();
}

import type { Kysely } from 'kysely';

/** OTLP export: one destination per organization, and its delivery state (cursor and last outcome). */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('otel_destinations')
    .addColumn('org_id', 'text', (c) => c.primaryKey().references('orgs.id'))
    .addColumn('endpoint_url', 'text', (c) => c.notNull())
    .addColumn('protocol', 'text', (c) => c.notNull())
    // JSON object: header name -> AES-256-GCM sealed value (see access/secret-box.ts).
    .addColumn('headers', 'text', (c) => c.notNull())
    .addColumn('max_batch_size', 'integer', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('start', 'text', (c) => c.notNull())
    .addColumn('config_version', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  // Kept apart from the configuration: the worker writes here after every batch, the API rarely writes above.
  await db.schema
    .createTable('otel_delivery')
    .addColumn('org_id', 'text', (c) => c.primaryKey().references('orgs.id'))
    .addColumn('delivered_seq', 'bigint', (c) => c.notNull())
    .addColumn('last_success_at', 'bigint')
    .addColumn('last_error_at', 'bigint')
    .addColumn('last_error_status', 'integer')
    .addColumn('last_error_message', 'text')
    .addColumn('last_rejected_at', 'bigint')
    .addColumn('last_rejected_count', 'integer')
    .addColumn('last_rejected_message', 'text')
    .addColumn('rejected_total', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
}

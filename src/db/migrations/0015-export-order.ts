import type { Kysely } from 'kysely';

/**
 * Exports in time order: each export says which order its rows are in, `time` (newest first,
 * as the Audit Logs page) or `chain` (by seq, for verification). Exports queued before were in chain order.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('exports').addColumn('order_by', 'text', (c) => c.notNull().defaultTo('chain')).execute();
}

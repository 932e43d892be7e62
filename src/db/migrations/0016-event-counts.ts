import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../dialect.ts';

/** Entry counts per minute and hour by type, category and result, for the activity chart (event-counts.ts). */
export async function up(db: Kysely<any>, adapter: DialectAdapter): Promise<void> {
  await adapter.createCountTables(db);
}

import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../dialect.ts';

/** The full-text index's tables, where the engine keeps them in the database (PostgreSQL; SQLite uses search.db). */
export async function up(db: Kysely<any>, adapter: DialectAdapter): Promise<void> {
  await adapter.createSearchTables(db);
}

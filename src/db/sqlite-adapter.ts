import { sql } from 'kysely';
import type { DialectAdapter } from './dialect.ts';

/** SQLite: the events table; full-text search lives in sqlite-search.ts (its own file). */
export const sqliteAdapter: DialectAdapter = {
  name: 'sqlite',

  async createEventsTable(db) {
    await db.schema
      .createTable('events')
      .addColumn('pk', 'integer', (c) => c.primaryKey())
      .addColumn('org_id', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('category', 'text', (c) => c.notNull())
      .addColumn('action', 'text')
      .addColumn('result', 'text', (c) => c.notNull())
      .addColumn('actor_id', 'text', (c) => c.notNull())
      .addColumn('actor_type', 'text', (c) => c.notNull())
      .addColumn('actor_email', 'text')
      .addColumn('actor_name', 'text')
      .addColumn('obo_id', 'text')
      .addColumn('obo_email', 'text')
      .addColumn('project_id', 'text')
      .addColumn('project_name', 'text')
      .addColumn('target_type', 'text')
      .addColumn('target_id', 'text')
      .addColumn('target_name', 'text')
      .addColumn('ip', 'text')
      .addColumn('user_agent', 'text')
      .addColumn('req_method', 'text')
      .addColumn('req_path', 'text')
      .addColumn('req_status', 'integer')
      .addColumn('req_body', 'text')
      .addColumn('req_response', 'text')
      .addColumn('metadata', 'text')
      .addColumn('occurred_at', 'integer', (c) => c.notNull())
      .addColumn('received_at', 'integer', (c) => c.notNull())
      .addColumn('prev_hash', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .execute();
  },

  async optimize(db) {
    await sql`PRAGMA optimize`.execute(db);
  },

  async eraseOverwritten(db, on) {
    await sql.raw(`PRAGMA secure_delete = ${on ? 'ON' : 'OFF'}`).execute(db);
  },
};

import { sql } from 'kysely';
import type { DialectAdapter } from './dialect.ts';

/** Quotes one term as an FTS5 string (a phrase): trigram phrases match substrings. */
function ftsPhrase(term: string): string {
  return `"${term.replaceAll('"', '""')}"`;
}

function ftsQuery(terms: string[]): string {
  return terms.map(ftsPhrase).join(' AND ');
}

/** SQLite: FTS5 with the trigram tokenizer, contentless (the text lives only in `events`). */
export const sqliteAdapter: DialectAdapter = {
  name: 'sqlite',
  minTermLength: 3,

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

  async createSearchIndex(db) {
    await sql`CREATE VIRTUAL TABLE events_fts USING fts5(doc, content='', contentless_delete=1, tokenize='trigram')`.execute(db);
  },

  searchDocument() {
    const parts = [
      'type', 'action', 'actor_id', 'actor_email', 'actor_name', 'obo_id', 'obo_email',
      'project_id', 'project_name', 'target_type', 'target_id', 'target_name', 'ip', 'user_agent',
      'req_method', 'req_path', 'req_body', 'req_response', 'metadata',
    ].map((column) => `coalesce(events.${column}, '')`);
    return sql<string>`${sql.raw(parts.join(" || char(10) || "))}`;
  },

  async indexQueued(db, limit) {
    const doc = this.searchDocument();
    const queued = await db.selectFrom('search_queue').select('pk').orderBy('pk').limit(limit).execute();
    if (queued.length === 0) return 0;
    const pks = queued.map((row) => row.pk);
    for (let i = 0; i < pks.length; i += 500) {
      const chunk = pks.slice(i, i + 500);
      await sql`INSERT INTO events_fts(rowid, doc) SELECT pk, ${doc} FROM events WHERE pk IN (${sql.join(chunk)})`.execute(db);
      await db.deleteFrom('search_queue').where('pk', 'in', chunk).execute();
    }
    return pks.length;
  },

  async searchCandidates(db, terms, limit) {
    const result = await sql<{ pk: number }>`
      SELECT rowid AS pk FROM events_fts WHERE events_fts MATCH ${ftsQuery(terms)} ORDER BY rowid DESC LIMIT ${limit}`.execute(db);
    return result.rows.map((row) => row.pk);
  },

  searchDriven(db, terms) {
    // CROSS JOIN makes SQLite walk the index first, newest rowid first, and stop at the LIMIT.
    const query = db
      .selectFrom('events_fts')
      .crossJoin('events')
      .where(sql<boolean>`events.pk = events_fts.rowid`)
      .where(sql<boolean>`events_fts MATCH ${ftsQuery(terms)}`);
    return { query, key: 'events_fts.rowid' as const };
  },

  async unindex(db, pks) {
    for (let i = 0; i < pks.length; i += 500) {
      const chunk = pks.slice(i, i + 500);
      await sql`DELETE FROM events_fts WHERE rowid IN (${sql.join(chunk)})`.execute(db);
    }
  },

  async optimize(db) {
    await sql`PRAGMA optimize`.execute(db);
  },
};

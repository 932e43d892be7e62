import path from 'node:path';
import SQLite from 'better-sqlite3';
import { preparePrivateSqliteFile } from '../data-dir.ts';

/** One event as the indexer hands it over: its key, its place in its organization's chain, its text. */
export interface SearchDoc {
  pk: number;
  seq: number;
  doc: string;
}

/** Quotes one term as an FTS5 string (a phrase): trigram phrases match substrings. */
const ftsQuery = (terms: string[]) => terms.map((t) => `"${t.replaceAll('"', '""')}"`).join(' AND ');

/**
 * The full-text index: FTS5 with the trigram tokenizer, contentless, in its own file
 * (`search.db`) so that its writer (the indexer thread) never holds a lock that ingest waits
 * on. It is derived data: deleting the file rebuilds it from the events.
 */
export function openSqliteSearch(dataDir: string) {
  const file = path.join(dataDir, 'search.db');
  preparePrivateSqliteFile(file);
  const handle = new SQLite(file);
  handle.pragma('journal_mode = WAL');
  handle.pragma('synchronous = NORMAL');
  handle.pragma('busy_timeout = 5000');
  handle.exec(`
    CREATE VIRTUAL TABLE IF NOT EXISTS events_fts USING fts5(doc, content='', contentless_delete=1, tokenize='trigram');
    CREATE TABLE IF NOT EXISTS search_state (org_id TEXT PRIMARY KEY, indexed_seq INTEGER NOT NULL);
  `);
  const s = {
    indexedSeq: handle.prepare<[string], { indexed_seq: number }>('SELECT indexed_seq FROM search_state WHERE org_id = ?'),
    candidates: handle.prepare<[string, number, number], { pk: number }>('SELECT rowid AS pk FROM events_fts WHERE events_fts MATCH ? AND rowid < ? ORDER BY rowid DESC LIMIT ?'),
    insert: handle.prepare('INSERT INTO events_fts(rowid, doc) VALUES (?, ?)'),
    remove: handle.prepare('DELETE FROM events_fts WHERE rowid = ?'),
    setSeq: handle.prepare('INSERT INTO search_state (org_id, indexed_seq) VALUES (?, ?) ON CONFLICT (org_id) DO UPDATE SET indexed_seq = excluded.indexed_seq'),
  };

  return {
    /** Highest seq of the organization already in the index (0 when none, or no index yet). */
    indexedSeq(orgId: string): number {
      return s.indexedSeq.get(orgId)?.indexed_seq ?? 0;
    },
    /** Up to `limit` indexed pks below `beforePk` whose text contains every term, newest first. */
    candidates(terms: string[], limit: number, beforePk = Number.MAX_SAFE_INTEGER): number[] {
      return s.candidates.all(ftsQuery(terms), beforePk, limit).map((row) => row.pk);
    },
    /** Adds one organization's next events, and its new high-water seq, in one transaction. */
    add: handle.transaction((orgId: string, docs: SearchDoc[]) => {
      for (const d of docs) s.insert.run(d.pk, d.doc);
      s.setSeq.run(orgId, docs[docs.length - 1]!.seq);
    }),
    /** Removes events from the index (the retention purge). */
    remove: handle.transaction((pks: number[]) => {
      for (const pk of pks) s.remove.run(pk);
    }),
    close: () => handle.close(),
  };
}

export type SqliteSearch = ReturnType<typeof openSqliteSearch>;

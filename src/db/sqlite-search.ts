import path from 'node:path';
import SQLite from 'better-sqlite3';
import type { SearchDoc, SearchIndex } from './search-index.ts';
import { preparePrivateSqliteFile } from '../data-dir.ts';

/**
 * Bumped when what the index holds changes (tokenizer, document): an older search.db is emptied
 * and rebuilt by the indexer, since it is derived data.
 */
const INDEX_VERSION = 2;

/** Quotes one term as an FTS5 string (a phrase): trigram phrases match substrings. */
const ftsQuery = (terms: string[]) => terms.map((t) => `"${t.replaceAll('"', '""')}"`).join(' AND ');

/**
 * SQLite's full-text index: FTS5 with the trigram tokenizer, contentless, in its own file
 * (`search.db`) so that its writer (the indexer thread) never holds a lock that ingest waits on.
 * Documents and terms arrive case-folded (searchText), so the tokenizer compares them as they are:
 * a match is exactly "the term is a substring of the text". Deleting the file rebuilds it.
 */
export function openSqliteSearch(dataDir: string): SearchIndex {
  const file = path.join(dataDir, 'search.db');
  preparePrivateSqliteFile(file);
  const handle = new SQLite(file);
  handle.pragma('journal_mode = WAL');
  handle.pragma('synchronous = NORMAL');
  handle.pragma('busy_timeout = 5000');
  handle.exec('CREATE TABLE IF NOT EXISTS search_meta (version INTEGER NOT NULL)');
  const version = handle.prepare<[], { version: number }>('SELECT version FROM search_meta').get()?.version;
  if (version !== INDEX_VERSION) {
    handle.exec(`
      DROP TABLE IF EXISTS events_fts;
      DROP TABLE IF EXISTS search_state;
      DELETE FROM search_meta;
      INSERT INTO search_meta (version) VALUES (${INDEX_VERSION});
    `);
  }
  handle.exec(`
    CREATE VIRTUAL TABLE IF NOT EXISTS events_fts
      USING fts5(doc, content='', contentless_delete=1, tokenize='trigram case_sensitive 1');
    CREATE TABLE IF NOT EXISTS search_state (org_id TEXT PRIMARY KEY, indexed_seq INTEGER NOT NULL);
  `);
  const s = {
    indexedSeq: handle.prepare<[string], { indexed_seq: number }>('SELECT indexed_seq FROM search_state WHERE org_id = ?'),
    candidates: handle.prepare<[string, number, number], { pk: number }>(
      'SELECT rowid AS pk FROM events_fts WHERE events_fts MATCH ? AND rowid < ? ORDER BY rowid DESC LIMIT ?',
    ),
    insert: handle.prepare('INSERT INTO events_fts(rowid, doc) VALUES (?, ?)'),
    remove: handle.prepare('DELETE FROM events_fts WHERE rowid = ?'),
    setSeq: handle.prepare(
      'INSERT INTO search_state (org_id, indexed_seq) VALUES (?, ?) ON CONFLICT (org_id) DO UPDATE SET indexed_seq = excluded.indexed_seq',
    ),
  };
  const add = handle.transaction((orgId: string, docs: SearchDoc[]) => {
    for (const d of docs) s.insert.run(d.pk, d.doc);
    s.setSeq.run(orgId, docs[docs.length - 1]!.seq);
  });
  const remove = handle.transaction((pks: number[]) => {
    for (const pk of pks) s.remove.run(pk);
  });

  return {
    minTermLength: 3,
    async indexedSeq(orgId) {
      return s.indexedSeq.get(orgId)?.indexed_seq ?? 0;
    },
    // One index for every organization (the key is global on SQLite): the caller's query keeps its own.
    async candidates(_orgId, terms, limit, beforePk = Number.MAX_SAFE_INTEGER) {
      return s.candidates.all(ftsQuery(terms), beforePk, limit).map((row) => row.pk);
    },
    async add(orgId, docs) {
      if (docs.length > 0) add(orgId, docs);
    },
    async remove(_orgId, pks) {
      remove(pks);
    },
    async close() {
      handle.close();
    },
  };
}

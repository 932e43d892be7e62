import path from 'node:path';
import SQLite from 'better-sqlite3';
import type { SearchDoc, SearchIndex } from './search-index.ts';
import { preparePrivateSqliteFile } from '../data-dir.ts';

/**
 * Bumped when what the index holds changes (tokenizer, document, layout): an older search.db is
 * emptied and rebuilt by the indexer, since it is derived data. 3: one FTS5 table per organization.
 */
const INDEX_VERSION = 3;

/** Quotes one term as an FTS5 string (a phrase): trigram phrases match substrings. */
const ftsQuery = (terms: string[]) => terms.map((t) => `"${t.replaceAll('"', '""')}"`).join(' AND ');

interface OrgTable {
  candidates: SQLite.Statement<[string, number, number], { pk: number }>;
  insert: SQLite.Statement<[number, string]>;
  remove: SQLite.Statement<[number]>;
}

/**
 * SQLite's full-text index: FTS5 with the trigram tokenizer, contentless, in its own file
 * (`search.db`) so that its writer (the indexer thread) never holds a lock that ingest waits on.
 * Documents and terms arrive case-folded (searchText), so the tokenizer compares them as they are:
 * a match is exactly "the term is a substring of the text". Each organization has its own FTS5
 * table (`events_fts_<n>`, numbered in `search_orgs`), so one organization's matches never crowd
 * another's candidates and a search costs what its own organization holds. Deleting the file rebuilds it.
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
  if (version !== INDEX_VERSION) rebuild(handle);
  handle.exec(`
    CREATE TABLE IF NOT EXISTS search_orgs (org_id TEXT PRIMARY KEY, n INTEGER NOT NULL UNIQUE);
    CREATE TABLE IF NOT EXISTS search_state (org_id TEXT PRIMARY KEY, indexed_seq INTEGER NOT NULL);
  `);
  const s = {
    indexedSeq: handle.prepare<[string], { indexed_seq: number }>('SELECT indexed_seq FROM search_state WHERE org_id = ?'),
    tableOf: handle.prepare<[string], { n: number }>('SELECT n FROM search_orgs WHERE org_id = ?'),
    addOrg: handle.prepare<[string]>('INSERT INTO search_orgs (org_id, n) SELECT ?, coalesce(max(n), 0) + 1 FROM search_orgs'),
    setSeq: handle.prepare(
      'INSERT INTO search_state (org_id, indexed_seq) VALUES (?, ?) ON CONFLICT (org_id) DO UPDATE SET indexed_seq = excluded.indexed_seq',
    ),
  };
  const tables = new Map<string, OrgTable>();

  /** The organization's table (made when `create`), or undefined when it has none yet. */
  function tableFor(orgId: string, create: boolean): OrgTable | undefined {
    const known = tables.get(orgId);
    if (known) return known;
    let n = s.tableOf.get(orgId)?.n;
    if (n === undefined) {
      if (!create) return undefined;
      s.addOrg.run(orgId);
      n = s.tableOf.get(orgId)!.n;
    }
    const name = `events_fts_${n}`;
    handle.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS ${name}
      USING fts5(doc, content='', contentless_delete=1, tokenize='trigram case_sensitive 1')`);
    const table: OrgTable = {
      candidates: handle.prepare(`SELECT rowid AS pk FROM ${name} WHERE ${name} MATCH ? AND rowid < ? ORDER BY rowid DESC LIMIT ?`),
      insert: handle.prepare(`INSERT INTO ${name}(rowid, doc) VALUES (?, ?)`),
      remove: handle.prepare(`DELETE FROM ${name} WHERE rowid = ?`),
    };
    tables.set(orgId, table);
    return table;
  }

  const add = handle.transaction((orgId: string, docs: SearchDoc[]) => {
    const table = tableFor(orgId, true)!;
    for (const d of docs) table.insert.run(d.pk, d.doc);
    s.setSeq.run(orgId, docs[docs.length - 1]!.seq);
  });
  const remove = handle.transaction((orgId: string, pks: number[]) => {
    const table = tableFor(orgId, false);
    if (table) for (const pk of pks) table.remove.run(pk);
  });

  return {
    minTermLength: 3,
    async indexedSeq(orgId) {
      return s.indexedSeq.get(orgId)?.indexed_seq ?? 0;
    },
    async candidates(orgId, terms, limit, beforePk = Number.MAX_SAFE_INTEGER) {
      const table = tableFor(orgId, false);
      return table ? table.candidates.all(ftsQuery(terms), beforePk, limit).map((row) => row.pk) : [];
    },
    async add(orgId, docs) {
      if (docs.length > 0) add(orgId, docs);
    },
    async remove(orgId, pks) {
      remove(orgId, pks);
    },
    async close() {
      handle.close();
    },
  };
}

/** Empties an index of an older version (every table of it), to be rebuilt by the indexer. */
function rebuild(handle: SQLite.Database): void {
  const fts = handle
    .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'")
    .all();
  for (const { name } of fts) handle.exec(`DROP TABLE IF EXISTS "${name}"`);
  handle.exec(`
    DROP TABLE IF EXISTS search_orgs;
    DROP TABLE IF EXISTS search_state;
    DELETE FROM search_meta;
    INSERT INTO search_meta (version) VALUES (${INDEX_VERSION});
  `);
}

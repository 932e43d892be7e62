import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { FilterIndex, KeyRange, RemovedEntry, SearchDoc, SearchIndex, TimedResult } from './search-index.ts';
import { COUNT_UNITS, countRows, readCounts, type CountedEntry } from './event-counts.ts';
import { preparePrivateSqliteFile } from '../data-dir.ts';
import { FILTER_COLUMNS, filterConditions } from '../query/event-filter.ts';
import { distinctActorEmails, distinctTypes } from '../query/distinct-values.ts';
import type { Tables } from './tables.ts';

/**
 * Bumped when what the index holds changes (tokenizer, document, layout): an older search.db is
 * emptied and rebuilt by the indexer, since it is derived data. 3: one FTS5 table per organization.
 * 4: the structured conditions' indexes (event_filters), moved here from the events table.
 */
const INDEX_VERSION = 4;

/**
 * The filter columns of every indexed entry, with one index per condition as the events table had
 * them (each ends in the key, the rowid), so "newest first where X" is a backwards index walk.
 * `org_id` holds the organization's number (search_orgs.n), which keeps every index entry short.
 */
const FILTER_TABLE = `
  CREATE TABLE IF NOT EXISTS event_filters (
    pk INTEGER PRIMARY KEY, org_id INTEGER NOT NULL, type TEXT NOT NULL, category TEXT NOT NULL, result TEXT NOT NULL,
    actor_id TEXT NOT NULL, actor_type TEXT NOT NULL, actor_email TEXT, target_type TEXT, target_id TEXT,
    project_id TEXT, ip TEXT, occurred_at INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS filters_org ON event_filters (org_id);
  CREATE INDEX IF NOT EXISTS filters_type ON event_filters (org_id, type);
  CREATE INDEX IF NOT EXISTS filters_category ON event_filters (org_id, category);
  CREATE INDEX IF NOT EXISTS filters_result ON event_filters (org_id, result);
  CREATE INDEX IF NOT EXISTS filters_actor_id ON event_filters (org_id, actor_id);
  CREATE INDEX IF NOT EXISTS filters_actor_email ON event_filters (org_id, actor_email);
  CREATE INDEX IF NOT EXISTS filters_target ON event_filters (org_id, target_type, target_id);
  CREATE INDEX IF NOT EXISTS filters_project ON event_filters (org_id, project_id);
  CREATE INDEX IF NOT EXISTS filters_ip ON event_filters (org_id, ip);
`;
/** The activity counts (event-counts.ts), by the organization's number like event_filters. */
const COUNTS_TABLE = `
  CREATE TABLE IF NOT EXISTS event_counts (
    org_id INTEGER NOT NULL, unit INTEGER NOT NULL, start INTEGER NOT NULL, type TEXT NOT NULL, category TEXT NOT NULL,
    result TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (org_id, unit, start, type, category, result)
  ) WITHOUT ROWID;
`;
const addCount = `INSERT INTO event_counts (org_id, unit, start, type, category, result, n)
  VALUES (@org_id, @unit, @start, @type, @category, @result, @n)
  ON CONFLICT DO UPDATE SET n = n + excluded.n`;
/** Counts of what event_filters holds already, when the counts table is new (an index built before it). */
const backfillCounts = (unit: number) => `INSERT INTO event_counts (org_id, unit, start, type, category, result, n)
  SELECT org_id, ${unit}, (occurred_at / ${unit}) * ${unit}, type, category, result, count(*)
  FROM event_filters GROUP BY 1, 3, 4, 5, 6`;

const insertFilters = `INSERT OR REPLACE INTO event_filters (pk, ${FILTER_COLUMNS.join(', ')})
  VALUES (@pk, ${FILTER_COLUMNS.map((c) => `@${c}`).join(', ')})`;

/** Entries indexed before the filter index's statistics are first taken. */
const FIRST_ANALYZE = 20_000;

/*
 * Keys are bound to the FTS5 tables as BigInt: better-sqlite3 binds a JS number as a REAL, and
 * FTS5 then tests its rowid bound on every match instead of seeking to it (100 ms against 8 ms
 * for a week of a common word in a million entries).
 */

/** Quotes one term as an FTS5 string (a phrase): trigram phrases match substrings. */
const ftsQuery = (terms: string[]) => terms.map((t) => `"${t.replaceAll('"', '""')}"`).join(' AND ');

type KeyRangeArgs = [match: string, fromPk: bigint, beforePk: bigint, except: string];
/** A search's terms, key range (bound as integers, which FTS5 seeks by) and left-out keys, as statement parameters. */
const keyRangeArgs = (terms: string[], { fromPk, beforePk }: KeyRange, except: number[]): KeyRangeArgs =>
  [ftsQuery(terms), BigInt(fromPk), BigInt(beforePk), JSON.stringify(except)];

interface OrgTable {
  n: number;
  candidates: SQLite.Statement<[string, bigint, number], { pk: number }>;
  counting: SQLite.Statement<[...KeyRangeArgs, number], { n: number }>;
  timed: SQLite.Statement<[...KeyRangeArgs, number, number, number], TimedResult>;
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
  // What merges and deletes free is zeroed where that costs no extra writes; an erasure zeroes all of it.
  handle.pragma('secure_delete = FAST');
  // The indexer's batches write many pages at once: fewer, larger checkpoints.
  handle.pragma('wal_autocheckpoint = 10000');
  handle.exec('CREATE TABLE IF NOT EXISTS search_meta (version INTEGER NOT NULL)');
  const version = handle.prepare<[], { version: number }>('SELECT version FROM search_meta').get()?.version;
  if (version !== INDEX_VERSION) rebuild(handle);
  handle.exec(`
    CREATE TABLE IF NOT EXISTS search_orgs (org_id TEXT PRIMARY KEY, n INTEGER NOT NULL UNIQUE);
    CREATE TABLE IF NOT EXISTS search_state (org_id TEXT PRIMARY KEY, indexed_seq INTEGER NOT NULL);
    ${FILTER_TABLE}
  `);
  const hadCounts = handle.prepare("SELECT 1 FROM sqlite_master WHERE name = 'event_counts'").get() !== undefined;
  handle.transaction(() => {
    handle.exec(COUNTS_TABLE);
    if (!hadCounts) for (const unit of COUNT_UNITS) handle.exec(backfillCounts(unit));
  }).immediate();
  const s = {
    indexedSeq: handle.prepare<[string], { indexed_seq: number }>('SELECT indexed_seq FROM search_state WHERE org_id = ?'),
    tableOf: handle.prepare<[string], { n: number }>('SELECT n FROM search_orgs WHERE org_id = ?'),
    addOrg: handle.prepare<[string]>('INSERT INTO search_orgs (org_id, n) SELECT ?, coalesce(max(n), 0) + 1 FROM search_orgs'),
    setSeq: handle.prepare(
      'INSERT INTO search_state (org_id, indexed_seq) VALUES (?, ?) ON CONFLICT (org_id) DO UPDATE SET indexed_seq = excluded.indexed_seq',
    ),
    addFilters: handle.prepare(insertFilters),
    removeFilters: handle.prepare<[number], CountedEntry>('DELETE FROM event_filters WHERE pk = ? RETURNING type, category, result, occurred_at'),
    addCount: handle.prepare(addCount),
    hasFilters: handle.prepare<[number], { pk: number }>('SELECT pk FROM event_filters WHERE pk = ?'),
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
    // A delete takes the document's terms out of the index at once, not at a later merge (erasure).
    handle.prepare(`INSERT INTO ${name}(${name}, rank) VALUES ('secure-delete', 1)`).run();
    // Matches of the terms in a key range, leaving out the keys of a JSON array: the parameters of keyRangeArgs.
    const inKeyRange = `${name} MATCH ? AND ${name}.rowid >= ? AND ${name}.rowid < ? AND ${name}.rowid NOT IN (SELECT value FROM json_each(?))`;
    const table: OrgTable = {
      n,
      candidates: handle.prepare(`SELECT rowid AS pk FROM ${name} WHERE ${name} MATCH ? AND rowid < ? ORDER BY rowid DESC LIMIT ?`),
      counting: handle.prepare(`SELECT count(*) AS n FROM (SELECT 1 FROM ${name} WHERE ${inKeyRange} LIMIT ?)`),
      // The filter index holds each indexed entry's time and result beside its document.
      timed: handle.prepare(`SELECT f.occurred_at AS at, f.result FROM ${name} JOIN event_filters f ON f.pk = ${name}.rowid
        WHERE ${inKeyRange} AND f.occurred_at >= ? AND f.occurred_at < ? LIMIT ?`),
      insert: handle.prepare(`INSERT INTO ${name}(rowid, doc) VALUES (?, ?)`),
      remove: handle.prepare(`DELETE FROM ${name} WHERE rowid = ?`),
    };
    tables.set(orgId, table);
    return table;
  }

  // Fresh planner statistics as the filter index grows, so a read walks its most selective index
  // (one actor's entries, not every user.login; result=failed in key order, not a sorted type
  // range). A sampled ANALYZE reads each index's first rows only and took one organization's
  // first type for all of them, so the statistics are full, and taken each time the index has
  // doubled since the last: a few times over its life, about 1.5 s per million entries. Once per
  // start too (after FIRST_ANALYZE entries), which replaces the sampled statistics of older versions.
  handle.pragma('analysis_limit = 0');
  const analyzedRows = () =>
    Number(handle.prepare<[], { stat: string }>("SELECT stat FROM sqlite_stat1 WHERE idx = 'filters_org'").get()?.stat.split(' ')[0] ?? 0);
  let lastAnalyzed = 0;
  let addedSinceAnalyze = 0;
  const analyzeNowAndThen = (added: number) => {
    addedSinceAnalyze += added;
    if (addedSinceAnalyze < Math.max(FIRST_ANALYZE, lastAnalyzed)) return;
    handle.exec('ANALYZE event_filters');
    lastAnalyzed = analyzedRows();
    addedSinceAnalyze = 0;
  };

  const add = handle.transaction((orgId: string, docs: SearchDoc[]) => {
    const table = tableFor(orgId, true)!;
    for (const d of docs) table.insert.run(d.pk, d.doc);
    // Each table in a loop of its own: interleaving the FTS5 inserts with the filter rows
    // made a batch four times slower.
    // Counted once: a batch indexed twice (a catch-up beside the indexer thread) adds nothing the second time.
    const fresh = docs.filter((d) => s.hasFilters.get(d.pk) === undefined);
    for (const d of docs) s.addFilters.run({ pk: d.pk, ...d.fields, org_id: table.n });
    for (const row of countRows(fresh.map((d) => d.fields))) s.addCount.run({ org_id: table.n, ...row });
    s.setSeq.run(orgId, docs[docs.length - 1]!.seq);
  });
  const remove = handle.transaction((orgId: string, removed: RemovedEntry[]) => {
    const table = tableFor(orgId, false);
    if (!table) return;
    for (const { pk } of removed) table.remove.run(pk);
    // Counted off as the index held them: an entry never indexed was never counted.
    const gone = removed.map(({ pk }) => s.removeFilters.get(pk)).filter((row): row is CountedEntry => row !== undefined);
    for (const row of countRows(gone, -1)) s.addCount.run({ org_id: table.n, ...row });
  });
  const replace = handle.transaction((orgId: string, docs: SearchDoc[]) => {
    const table = tableFor(orgId, false);
    if (!table) return;
    for (const d of docs) {
      if (s.hasFilters.get(d.pk) === undefined) continue;
      table.remove.run(d.pk);
      table.insert.run(d.pk, d.doc);
      s.addFilters.run({ pk: d.pk, ...d.fields, org_id: table.n });
    }
  });
  const kysely = new Kysely<any>({ dialect: new SqliteDialect({ database: handle }) });

  return {
    minTermLength: 3,
    filters: filterIndex(handle, (orgId) => tableFor(orgId, false)?.n),
    async indexedSeq(orgId) {
      return s.indexedSeq.get(orgId)?.indexed_seq ?? 0;
    },
    async candidates(orgId, terms, limit, beforePk = Number.MAX_SAFE_INTEGER) {
      const table = tableFor(orgId, false);
      return table ? table.candidates.all(ftsQuery(terms), BigInt(beforePk), limit).map((row) => row.pk) : [];
    },
    async countMatching(orgId, terms, limit, range, except) {
      const table = tableFor(orgId, false);
      return table ? table.counting.get(...keyRangeArgs(terms, range, except), limit)!.n : 0;
    },
    async matchingTimes(orgId, terms, limit, range, { from, to }, except) {
      const table = tableFor(orgId, false);
      return table ? table.timed.all(...keyRangeArgs(terms, range, except), from, to, limit) : [];
    },
    async add(orgId, docs) {
      if (docs.length === 0) return;
      // IMMEDIATE: a deferred transaction that reads, then writes after another connection
      // wrote meanwhile, fails at once (SQLITE_BUSY) instead of waiting.
      add.immediate(orgId, docs);
      analyzeNowAndThen(docs.length);
    },
    async remove(orgId, removed) {
      remove.immediate(orgId, removed);
    },
    async replace(orgId, docs) {
      if (docs.length === 0) return;
      handle.pragma('secure_delete = ON');
      try {
        replace.immediate(orgId, docs);
      } finally {
        handle.pragma('secure_delete = FAST');
      }
    },
    async scrub() {
      handle.pragma('wal_checkpoint(TRUNCATE)');
    },
    async counts(orgId, query) {
      const n = tableFor(orgId, false)?.n;
      return n === undefined ? [] : readCounts(kysely, String(n), query);
    },
    async close() {
      handle.close();
    },
  };
}

/**
 * The structured conditions over event_filters, through Kysely so that they are applyFilter's very
 * own. `numberOf` gives an organization's number (undefined: nothing of it is indexed yet); SQLite
 * compares the integer column with it even when it is bound as text.
 */
function filterIndex(handle: SQLite.Database, numberOf: (orgId: string) => number | undefined): FilterIndex {
  const db = new Kysely<{ event_filters: Tables['events'] }>({ dialect: new SqliteDialect({ database: handle }) });
  // Its columns have the events table's names and types: the filter reads them as the events table's.
  const table = () => db.selectFrom('event_filters as events') as unknown as Parameters<typeof filterConditions>[0];
  return {
    async candidates(orgId, filter, actorColumn, limit, beforePk = Number.MAX_SAFE_INTEGER) {
      const n = numberOf(orgId);
      if (n === undefined) return [];
      const rows = await filterConditions(table(), String(n), filter, actorColumn)
        .where('events.pk', '<', beforePk)
        .orderBy('events.pk', 'desc')
        .limit(limit)
        .select('events.pk')
        .execute();
      return rows.map((row) => row.pk);
    },
    async types(orgId) {
      const n = numberOf(orgId);
      return n === undefined ? [] : distinctTypes(db, 'event_filters', n);
    },
    async actorEmails(orgId, prefix, limit) {
      const n = numberOf(orgId);
      return n === undefined ? [] : distinctActorEmails(db, 'event_filters', n, prefix, limit);
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
    DROP TABLE IF EXISTS event_filters;
    DROP TABLE IF EXISTS event_counts;
    DELETE FROM search_meta;
    INSERT INTO search_meta (version) VALUES (${INDEX_VERSION});
  `);
}

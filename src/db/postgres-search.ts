import { sql, type Kysely } from 'kysely';
import type { KeyRange, SearchIndex } from './search-index.ts';
import { countRows, readCounts, type CountRow, type EventCountsTable } from './event-counts.ts';
import { inTransaction, type Executor } from './unit-of-work.ts';

interface SearchTables {
  search_docs: { org_id: string; pk: number; doc: string };
  events: { org_id: string; pk: number; occurred_at: number; result: string };
  search_state: { org_id: string; indexed_seq: number };
  event_counts: EventCountsTable;
}

/** Adds count rows (negative n takes off), one statement for a batch. */
async function addCounts(trx: Kysely<SearchTables>, orgId: string, rows: CountRow[]) {
  if (rows.length === 0) return;
  await trx
    .insertInto('event_counts')
    .values(rows.map((row) => ({ org_id: orgId, ...row })))
    .onConflict((oc) => oc.columns(['org_id', 'unit', 'start', 'type', 'category', 'result']).doUpdateSet({ n: sql<number>`event_counts.n + excluded.n` }))
    .execute();
}

/** A term as a LIKE pattern that matches it as a substring, with LIKE's own characters taken literally. */
const containing = (term: string) => `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * PostgreSQL's full-text index: each entry's searchText in `search_docs`, under a GIN trigram
 * index on (org_id, doc), so candidates are found per organization and never crowded out by
 * another's. Documents and terms arrive case-folded; LIKE compares them as they are, so a match
 * is exactly "the term is a substring of the text", as on SQLite.
 */
export function createPostgresSearch(database: Kysely<any>): SearchIndex {
  const db = database as Kysely<SearchTables>;
  /** The organization's documents that hold every term. */
  const holding = (orgId: string, terms: string[]) => {
    let query = db.selectFrom('search_docs').select('pk').where('org_id', '=', orgId);
    for (const term of terms) query = query.where(sql<boolean>`doc like ${containing(term)}`);
    return query;
  };
  /** The same, in the key range and leaving out the keys in `except`. */
  const holdingIn = (orgId: string, terms: string[], { fromPk, beforePk }: KeyRange, except: number[]) =>
    holding(orgId, terms).where('pk', '>=', fromPk).where('pk', '<', beforePk).where(sql<boolean>`pk <> all(${except}::bigint[])`);
  return {
    minTermLength: 3,
    async indexedSeq(orgId) {
      const row = await db.selectFrom('search_state').select('indexed_seq').where('org_id', '=', orgId).executeTakeFirst();
      return row?.indexed_seq ?? 0;
    },
    async candidates(orgId, terms, limit, beforePk = Number.MAX_SAFE_INTEGER) {
      const rows = await holding(orgId, terms).where('pk', '<', beforePk).orderBy('pk', 'desc').limit(limit).execute();
      return rows.map((row) => row.pk);
    },
    // Unordered, the scan stops after `limit` rows instead of sorting every match.
    async countMatching(orgId, terms, limit, range, except) {
      const matches = holdingIn(orgId, terms, range, except).limit(limit);
      const row = await db.selectFrom(matches.as('m')).select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },
    // Joined with the events table for the time and result; unordered, as the count above.
    async matchingTimes(orgId, terms, limit, range, { from, to }, except) {
      const rows = await db
        .selectFrom(holdingIn(orgId, terms, range, except).as('d'))
        .innerJoin('events as e', (join) => join.onRef('e.pk', '=', 'd.pk').on('e.org_id', '=', orgId))
        .select(['e.occurred_at as at', 'e.result'])
        .where('e.occurred_at', '>=', from)
        .where('e.occurred_at', '<', to)
        .limit(limit)
        .execute();
      return rows.map((row) => ({ at: Number(row.at), result: row.result }));
    },
    async add(orgId, docs, fence) {
      if (docs.length === 0) return;
      const seq = docs[docs.length - 1]!.seq;
      await inTransaction(db, async (trx) => {
        await fence?.(trx as unknown as Executor);
        const inserted = await trx
          .insertInto('search_docs')
          .values(docs.map((d) => ({ org_id: orgId, pk: d.pk, doc: d.doc })))
          .onConflict((oc) => oc.columns(['org_id', 'pk']).doNothing())
          .returning('pk')
          .execute();
        // Counted once: a batch indexed twice (a catch-up beside the indexer) adds nothing the second time.
        const fresh = new Set(inserted.map((row) => Number(row.pk)));
        await addCounts(trx, orgId, countRows(docs.filter((d) => fresh.has(d.pk)).map((d) => d.fields)));
        await trx
          .insertInto('search_state')
          .values({ org_id: orgId, indexed_seq: seq })
          .onConflict((oc) => oc.column('org_id').doUpdateSet({ indexed_seq: sql<number>`greatest(search_state.indexed_seq, ${seq})` }))
          .execute();
      });
    },
    async remove(orgId, removed) {
      for (let i = 0; i < removed.length; i += 1000) {
        const chunk = removed.slice(i, i + 1000);
        await inTransaction(db, async (trx) => {
          const gone = await trx.deleteFrom('search_docs').where('org_id', '=', orgId).where('pk', 'in', chunk.map((r) => r.pk))
            .returning('pk').execute();
          // Only what was indexed was counted.
          const indexed = new Set(gone.map((row) => Number(row.pk)));
          await addCounts(trx, orgId, countRows(chunk.filter((r) => indexed.has(r.pk)), -1));
        });
      }
    },
    async replace(orgId, docs) {
      for (const d of docs) {
        await db.updateTable('search_docs').set({ doc: d.doc }).where('org_id', '=', orgId).where('pk', '=', d.pk).execute();
      }
    },
    // Replaced rows are dead tuples until (auto)vacuum reclaims them; no query can read them.
    async scrub() {},
    counts: (orgId, query) => readCounts(db, orgId, query),
    // The index shares the database's pool, which the database closes.
    async close() {},
  };
}

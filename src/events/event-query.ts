import type { SelectQueryBuilder } from 'kysely';
import type { Database } from '../db/database.ts';
import type { Tables } from '../db/tables.ts';
import {
  containsAllTerms,
  filterConditions,
  hasFieldConditions,
  matchesFilter,
  searchTerms,
  searchText,
  SPILL_SLACK_MS,
  type EventFilter,
} from '../query/event-filter.ts';
import { distinctActorEmails, distinctTypes } from '../query/distinct-values.ts';
import type { FilterIndex, TimedResult } from '../db/search-index.ts';
import type { Entry } from './event.schemas.ts';
import { rowToEntry, type EventRow } from './entry-mapping.ts';
import { PK_SLOTS } from '../db/event-keys.ts';

export type { EventFilter } from '../query/event-filter.ts';

/** The most full-text candidates looked up by pk in one step of a search. */
const CANDIDATE_CAP = 2000;
/** The fewest candidates a search's first step reads. */
const FIRST_CHUNK = 200;
/** The most unindexed entries whose values suggestions include (the indexer's lag is normally far shorter). */
const SUGGESTION_TAIL = 2000;
/** Keys a count reads per step: a capped count of a common word takes two or three steps, not ten. */
const COUNT_STEP = 5000;
/** Rows read per step where rows are checked against the terms here (the unindexed tail, short words). */
const CHECK_CHUNK = 500;

type Query = SelectQueryBuilder<Tables, 'events', {}>;
/** Up to `limit` keys of candidate rows below `before`, newest first (from an index). */
type Candidates = (limit: number, before: number | undefined) => Promise<number[]>;
/** One way of finding matching rows, newest first: a search unions the index and the unindexed tail. */
type Source = (after: number | undefined, limit: number, keysOnly?: boolean) => Promise<EventRow[]>;

/** Reads entries by filter, newest first (pk order), with keyset pagination and capped counts. */
export function createEventQuery(database: Database) {
  const { db, search } = database;
  /** Where distinct values are read: the filter index where the engine has one, else the events table's own indexes. */
  const distinct: Pick<FilterIndex, 'types' | 'actorEmails'> = search.filters ?? {
    types: (orgId) => distinctTypes(db, 'events', orgId),
    actorEmails: (orgId, prefix, limit) => distinctActorEmails(db, 'events', orgId, prefix, limit),
  };
  /** The newest entries the filter index has not reached (none without one), which suggestions add to the index's. */
  const unindexed = async (orgId: string) => {
    if (!search.filters) return [];
    const query = db.selectFrom('events').select(['type', 'category', 'actor_email']).where('org_id', '=', orgId);
    return query.where('seq', '>', await search.indexedSeq(orgId)).orderBy('seq', 'desc').limit(SUGGESTION_TAIL).execute();
  };

  const fetch = (query: Query): Source => (after, limit, keysOnly) => {
    const q = (after === undefined ? query : query.where('events.pk', '<', after)).orderBy('events.pk', 'desc').limit(limit);
    return (keysOnly ? q.select(['events.pk', 'events.result', 'events.occurred_at']) : q.selectAll('events')).execute() as Promise<EventRow[]>;
  };

  /** Reads `query` newest first in chunks and keeps the rows whose searchText holds every term. */
  const checked = (query: Query, terms: string[]): Source => {
    if (terms.length === 0) return fetch(query);
    const read = fetch(query);
    return async (after, limit) => {
      const out: EventRow[] = [];
      for (let before = after; ; ) {
        const rows = await read(before, CHECK_CHUNK);
        for (const row of rows) {
          if (!containsAllTerms(searchText(rowToEntry(row)), terms)) continue;
          out.push(row);
          if (out.length >= limit) return out;
        }
        if (rows.length < CHECK_CHUNK) return out;
        before = rows[rows.length - 1]!.pk;
      }
    };
  };

  /**
   * The entries past the index's high-water seq that match: read by the (org_id, seq) index alone,
   * in seq chunks, and tested here with the filter's one meaning (matchesFilter), keeping the newest
   * `limit` by key. With the conditions in SQL a planner could walk an index of the time range
   * instead and read a week of entries to find none. The tail is as long as the indexer's lag: short.
   */
  const tailSource = (orgId: string, filter: EventFilter, indexedSeq: number): Source => {
    const matches = matchesFilter(filter);
    return async (after, limit) => {
      let best: EventRow[] = [];
      for (let above = indexedSeq; ; ) {
        const rows = (await db
          .selectFrom('events')
          .selectAll()
          .where('org_id', '=', orgId)
          .where('seq', '>', above)
          .orderBy('seq')
          .limit(CHECK_CHUNK)
          .execute()) as EventRow[];
        const kept = rows.filter((row) => (after === undefined || row.pk < after) && matches(rowToEntry(row)));
        best = [...best, ...kept].sort((a, b) => b.pk - a.pk).slice(0, limit);
        if (rows.length < CHECK_CHUNK) return best;
        above = rows[rows.length - 1]!.seq;
      }
    };
  };

  /**
   * Walks an index newest first, keeping the rows that pass the other conditions. The first chunk
   * of candidates is a few pages' worth and each next one twice as large (up to CANDIDATE_CAP), so
   * a page of a common word costs about a page, and a rare word's few matches take one step.
   */
  const indexWalk = (candidates: Candidates, query: Query, short: string[], lowestPk = 0): Source => async (after, limit, keysOnly) => {
    const rows: EventRow[] = [];
    let chunk = Math.min(CANDIDATE_CAP, Math.max(FIRST_CHUNK, limit * 4));
    for (let before = after; ; chunk = Math.min(CANDIDATE_CAP, chunk * 2)) {
      const found = await candidates(chunk, before);
      // Keys are time-ordered: past the range's start nothing older can match, so the walk stops there.
      const pks = found.filter((pk) => pk >= lowestPk);
      if (pks.length > 0) rows.push(...(await checked(query.where('events.pk', 'in', pks), short)(undefined, limit - rows.length, keysOnly)));
      if (rows.length >= limit || found.length < chunk || pks.length < found.length) return rows;
      before = found[found.length - 1];
    }
  };

  /**
   * The sources to read: one plain query; or an index (full-text, or the filter index where the
   * engine keeps the structured conditions' indexes off the events table) plus the unindexed tail.
   * Twice for an actor (id, email).
   */
  async function sources(orgId: string, filter: EventFilter): Promise<Source[]> {
    const columns = filter.actor === undefined ? (['either'] as const) : (['events.actor_id', 'events.actor_email'] as const);
    const terms = searchTerms(filter.q);
    const indexable = terms.filter((w) => [...w].length >= search.minTermLength);
    const short = terms.filter((w) => !indexable.includes(w));
    const filters = hasFieldConditions(filter) ? search.filters : undefined;
    const out: Source[] = [];
    for (const column of columns) {
      const fields = filterConditions(db.selectFrom('events'), orgId, filter, column);
      const candidates: Candidates | undefined = indexable.length > 0
        ? (limit, before) => search.candidates(orgId, indexable, limit, before)
        : filters && ((limit, before) => filters.candidates(orgId, filter, column, limit, before));
      if (!candidates) {
        out.push(checked(fields, terms));
        continue;
      }
      out.push(indexWalk(candidates, fields, short, filter.from === undefined ? 0 : filter.from * PK_SLOTS));
      // Entries past the index's high-water seq are checked here, so a read sees every acknowledged
      // entry; once for both actor columns, since the check tests both.
      if (column === columns[0]) out.push(tailSource(orgId, filter, await search.indexedSeq(orgId)));
    }
    return out;
  }

  /** One page of entries, newest first; `next` is the pk to pass as `after` for the following page. */
  async function list(orgId: string, filter: EventFilter, limit: number, after?: number): Promise<{ entries: Entry[]; next: number | null }> {
    const byPk = new Map<number, EventRow>();
    for (const source of await sources(orgId, filter)) {
      for (const row of await source(after, limit + 1)) byPk.set(row.pk, row);
    }
    const rows = [...byPk.values()].sort((a, b) => b.pk - a.pk).slice(0, limit + 1);
    const page = rows.slice(0, limit);
    const next = rows.length > limit ? page[page.length - 1]!.pk : null;
    return { entries: page.map(rowToEntry), next };
  }

  /** How many entries match, counting no further than `cap`. */
  async function count(orgId: string, filter: EventFilter, cap: number): Promise<{ value: number; capped: boolean }> {
    const n = await searchedCount(orgId, filter, cap + 1);
    if (n !== undefined) return { value: Math.min(n, cap), capped: n > cap };
    const { rows, capped } = await matching(orgId, filter, cap);
    return { value: rows.length, capped };
  }

  /** The words of a filter the index answers alone (each long enough, no field conditions), if it is one. */
  function indexAlone(filter: EventFilter): string[] | undefined {
    const terms = searchTerms(filter.q);
    const indexable = terms.every((w) => [...w].length >= search.minTermLength);
    return terms.length === 0 || !indexable || hasFieldConditions(filter) ? undefined : terms;
  }

  /** The unindexed tail's matches (checked row by row), newest first, up to `limit`. */
  async function unindexedMatches(orgId: string, filter: EventFilter, limit: number): Promise<EventRow[]> {
    return tailSource(orgId, filter, await search.indexedSeq(orgId))(undefined, limit);
  }

  /**
   * For a filter the index answers alone: the matches, counted to `limit`. The index counts those
   * in its key range itself; the unindexed tail's and, for a time range, those of the second at each
   * end where a key's time may differ from its entry's are checked row by row. The index's answer is
   * exact, so no other row is read; a batch indexed between the reads is left out of the index's
   * count, so it is counted once.
   */
  async function searchedCount(orgId: string, filter: EventFilter, limit: number): Promise<number | undefined> {
    const terms = indexAlone(filter);
    if (!terms) return undefined;
    const fields = filterConditions(db.selectFrom('events'), orgId, filter);
    const rows = await unindexedMatches(orgId, filter, limit);
    const { from, to } = filter;
    const edges = [from, to].filter((at): at is number => at !== undefined);
    for (const at of edges) {
      const edge = fields.where('events.pk', '>=', at * PK_SLOTS).where('events.pk', '<', (at + SPILL_SLACK_MS) * PK_SLOTS);
      rows.push(...(await checked(edge, terms)(undefined, limit)));
    }
    const keys = new Set(rows.map((row) => row.pk));
    const sure = {
      fromPk: from === undefined ? 0 : (from + SPILL_SLACK_MS) * PK_SLOTS,
      beforePk: to === undefined ? Number.MAX_SAFE_INTEGER : to * PK_SLOTS,
    };
    if (keys.size >= limit || sure.fromPk >= sure.beforePk) return keys.size;
    const inRange = [...keys].filter((pk) => pk >= sure.fromPk && pk < sure.beforePk);
    return keys.size + (await search.countMatching(orgId, terms, limit - keys.size, sure, inRange));
  }

  /**
   * For a filter the index answers alone: the time and result of up to `limit` matches. The index
   * reads them with each entry's own time, over every key the range's entries can have; the
   * unindexed tail's are checked row by row and left out of the index's read.
   */
  async function searchedTimes(orgId: string, filter: EventFilter, limit: number): Promise<TimedResult[] | undefined> {
    const terms = indexAlone(filter);
    if (!terms) return undefined;
    const tail = await unindexedMatches(orgId, filter, limit);
    const rows = tail.map((row) => ({ at: Number(row.occurred_at), result: row.result }));
    if (rows.length >= limit) return rows;
    const { from = 0, to = Math.floor(Number.MAX_SAFE_INTEGER / PK_SLOTS) - SPILL_SLACK_MS } = filter;
    const keys = { fromPk: from * PK_SLOTS, beforePk: (to + SPILL_SLACK_MS) * PK_SLOTS };
    const indexed = await search.matchingTimes(orgId, terms, limit - rows.length, keys, { from, to }, tail.map((row) => row.pk));
    return rows.concat(indexed);
  }

  /** The time and result of each matching entry, up to `cap` of them (the activity chart's fallback). */
  async function matching(orgId: string, filter: EventFilter, cap: number): Promise<{ rows: Array<{ at: number; result: string }>; capped: boolean }> {
    const searched = await searchedTimes(orgId, filter, cap + 1);
    if (searched) return { rows: searched.slice(0, cap), capped: searched.length > cap };
    const seen = new Map<number, { at: number; result: string }>();
    for (const source of await sources(orgId, filter)) {
      let after: number | undefined;
      while (seen.size <= cap) {
        const rows = await source(after, COUNT_STEP, true);
        for (const row of rows) seen.set(row.pk, { at: Number(row.occurred_at), result: row.result });
        if (rows.length < COUNT_STEP) break;
        after = rows[rows.length - 1]!.pk;
      }
    }
    return { rows: [...seen.values()].slice(0, cap), capped: seen.size > cap };
  }

  /**
   * Entries with seq in (afterSeq, throughSeq] that match the filter, in seq order (exports).
   * The window is read by the (org_id, seq) index and filtered here with the filter's one meaning
   * (matchesFilter), so the cost of one call is bounded by the window's size whatever the filter.
   */
  async function scan(orgId: string, filter: EventFilter, afterSeq: number, throughSeq: number): Promise<Entry[]> {
    const rows = await db
      .selectFrom('events')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('seq', '>', afterSeq)
      .where('seq', '<=', throughSeq)
      .orderBy('seq')
      .execute();
    const entries = rows.map(rowToEntry);
    return Object.values(filter).every((value) => value === undefined) ? entries : entries.filter(matchesFilter(filter));
  }

  /** Distinct event types the organization has used, each with the category of its newest entry (suggestions). */
  async function types(orgId: string): Promise<Array<{ type: string; category: string }>> {
    const tail = await unindexed(orgId);
    const byType = new Map((await distinct.types(orgId)).map((t) => [t.type, t]));
    for (const row of tail.reverse()) byType.set(row.type, { type: row.type, category: row.category });
    return [...byType.values()];
  }

  /** Distinct actor emails starting with `prefix` (already case-folded), in order, at most `limit` (suggestions). */
  async function actorEmails(orgId: string, prefix: string, limit: number): Promise<string[]> {
    const tail = (await unindexed(orgId)).map((row) => row.actor_email).filter((e): e is string => e?.startsWith(prefix) ?? false);
    const emails = new Set([...(await distinct.actorEmails(orgId, prefix, limit)), ...tail]);
    return [...emails].sort().slice(0, limit);
  }

  return { list, count, matching, scan, types, actorEmails };
}

export type EventQuery = ReturnType<typeof createEventQuery>;

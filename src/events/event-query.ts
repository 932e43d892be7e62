import { sql, type SelectQueryBuilder } from 'kysely';
import type { Database } from '../db/database.ts';
import type { Tables } from '../db/tables.ts';
import {
  applyFilter,
  containsAllTerms,
  matchesFilter,
  searchTerms,
  searchText,
  type ActorColumn,
  type EventFilter,
} from '../query/event-filter.ts';
import type { Entry } from './event.schemas.ts';
import { rowToEntry, type EventRow } from './entry-mapping.ts';
import { PK_SLOTS } from '../db/event-keys.ts';

export type { EventFilter } from '../query/event-filter.ts';

/** The most full-text candidates looked up by pk in one step of a search. */
const CANDIDATE_CAP = 2000;
/** The fewest candidates a search's first step reads. */
const FIRST_CHUNK = 200;
/** Slack on the pk bound for `to`: keys can sit up to this many ms past their timestamp. */
const SPILL_SLACK_MS = 1000;
/** Rows read per step where rows are checked against the terms here (the unindexed tail, short words). */
const CHECK_CHUNK = 500;

type Query = SelectQueryBuilder<Tables, 'events', {}>;
/** One way of finding matching rows, newest first: a search unions the index and the unindexed tail. */
type Source = (after: number | undefined, limit: number, keysOnly?: boolean) => Promise<EventRow[]>;

/** Reads entries by filter, newest first (pk order), with keyset pagination and capped counts. */
export function createEventQuery(database: Database) {
  const { db, search } = database;

  /**
   * The filter's conditions, plus key bounds for the time range (the key is time-ordered, so an
   * index walk stops at the range's end). `actorColumn`: the actor filter matches id or email, and
   * an OR of the two columns cannot walk either index, so each column gets its own query and the
   * pages are merged by pk (see sources()).
   */
  function conditions(orgId: string, filter: EventFilter, actorColumn: ActorColumn): Query {
    let q = applyFilter(db.selectFrom('events'), orgId, filter, actorColumn);
    if (filter.from !== undefined) q = q.where('events.pk', '>=', filter.from * PK_SLOTS);
    if (filter.to !== undefined) q = q.where('events.pk', '<', (filter.to + SPILL_SLACK_MS) * PK_SLOTS);
    return q;
  }

  const fetch = (query: Query): Source => (after, limit, keysOnly) => {
    const q = (after === undefined ? query : query.where('events.pk', '<', after)).orderBy('events.pk', 'desc').limit(limit);
    return (keysOnly ? q.select('events.pk') : q.selectAll('events')).execute() as Promise<EventRow[]>;
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
   * The entries past the index's high-water seq that match: read by the (org_id, seq) index (a key
   * order walk filtered on seq could cross the whole organization to find none), in seq chunks,
   * keeping the newest `limit` by key. The tail is as long as the indexer's lag: short.
   */
  const tailSource = (fields: Query, indexedSeq: number, terms: string[]): Source => async (after, limit) => {
    let best: EventRow[] = [];
    for (let above = indexedSeq; ; ) {
      const rows = (await fields
        .where('events.seq', '>', above)
        .orderBy('events.seq')
        .limit(CHECK_CHUNK)
        .selectAll('events')
        .execute()) as EventRow[];
      const kept = rows.filter((row) => (after === undefined || row.pk < after) && containsAllTerms(searchText(rowToEntry(row)), terms));
      best = [...best, ...kept].sort((a, b) => b.pk - a.pk).slice(0, limit);
      if (rows.length < CHECK_CHUNK) return best;
      above = rows[rows.length - 1]!.seq;
    }
  };

  /**
   * Walks the index newest first, keeping the rows that pass the other conditions. The first chunk
   * of candidates is a few pages' worth and each next one twice as large (up to CANDIDATE_CAP), so
   * a page of a common word costs about a page, and a rare word's few matches take one step.
   */
  const indexWalk = (orgId: string, query: Query, indexable: string[], short: string[]): Source => async (after, limit) => {
    const rows: EventRow[] = [];
    let chunk = Math.min(CANDIDATE_CAP, Math.max(FIRST_CHUNK, limit * 4));
    for (let before = after; ; chunk = Math.min(CANDIDATE_CAP, chunk * 2)) {
      const pks = await search.candidates(orgId, indexable, chunk, before);
      if (pks.length === 0) return rows;
      rows.push(...(await checked(query.where('events.pk', 'in', pks), short)(undefined, limit - rows.length)));
      if (rows.length >= limit || pks.length < chunk) return rows;
      before = pks[pks.length - 1];
    }
  };

  /** The sources to read: one plain query, or for a search, the index plus the unindexed tail; twice for an actor (id, email). */
  async function sources(orgId: string, filter: EventFilter): Promise<Source[]> {
    const columns = filter.actor === undefined ? (['either'] as const) : (['events.actor_id', 'events.actor_email'] as const);
    const out: Source[] = [];
    for (const column of columns) out.push(...(await sourcesFor(conditions(orgId, filter, column), orgId, filter.q)));
    return out;
  }

  async function sourcesFor(fields: Query, orgId: string, q: string | undefined): Promise<Source[]> {
    const terms = searchTerms(q);
    const indexable = terms.filter((w) => [...w].length >= search.minTermLength);
    const short = terms.filter((w) => !indexable.includes(w));
    if (indexable.length === 0) return [checked(fields, terms)];

    // Entries past the index's high-water seq are checked here, so a search sees every acknowledged entry.
    const tail = tailSource(fields, await search.indexedSeq(orgId), terms);
    return [indexWalk(orgId, fields, indexable, short), tail];
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
    const seen = new Set<number>();
    for (const source of await sources(orgId, filter)) {
      let after: number | undefined;
      while (seen.size <= cap) {
        const rows = await source(after, 1000, true);
        for (const row of rows) seen.add(row.pk);
        if (rows.length < 1000) break;
        after = rows[rows.length - 1]!.pk;
      }
    }
    return { value: Math.min(seen.size, cap), capped: seen.size > cap };
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

  /** Distinct event types the organization has used: one index seek per type (a skip scan), not a table scan. */
  async function types(orgId: string): Promise<Array<{ type: string; category: string }>> {
    const result = await sql<{ type: string; category: string }>`
      WITH RECURSIVE seen(type) AS (
        SELECT min(type) FROM events WHERE org_id = ${orgId}
        UNION ALL
        SELECT (SELECT min(type) FROM events WHERE org_id = ${orgId} AND type > seen.type) FROM seen WHERE seen.type IS NOT NULL
      )
      SELECT seen.type AS type,
        (SELECT category FROM events WHERE org_id = ${orgId} AND type = seen.type ORDER BY pk DESC LIMIT 1) AS category
      FROM seen WHERE seen.type IS NOT NULL`.execute(db);
    return result.rows;
  }

  /** Distinct actor emails starting with `prefix`, for suggestions; a skip scan over the email index, bounded by `n`. */
  async function actorEmails(orgId: string, prefix: string, limit: number): Promise<string[]> {
    const length = [...prefix].length;
    const result = await sql<{ email: string }>`
      WITH RECURSIVE seen(email, n) AS (
        SELECT min(actor_email), 1 FROM events WHERE org_id = ${orgId} AND actor_email >= ${prefix}
        UNION ALL
        SELECT (SELECT min(actor_email) FROM events WHERE org_id = ${orgId} AND actor_email > seen.email), seen.n + 1
        FROM seen
        WHERE seen.email IS NOT NULL AND substr(seen.email, 1, ${length}) = ${prefix} AND seen.n <= ${limit}
      )
      SELECT email FROM seen WHERE email IS NOT NULL AND substr(email, 1, ${length}) = ${prefix} ORDER BY n LIMIT ${limit}`.execute(db);
    return result.rows.map((r) => r.email);
  }

  return { list, count, scan, types, actorEmails };
}

export type EventQuery = ReturnType<typeof createEventQuery>;

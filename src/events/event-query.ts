import { sql, type SelectQueryBuilder } from 'kysely';
import type { Database } from '../db/database.ts';
import type { Tables } from '../db/tables.ts';
import type { Entry } from './event.schemas.ts';
import { rowToEntry, type EventRow } from './entry-mapping.ts';
import { PK_SLOTS } from './event-store.ts';

/** A parsed, validated filter over one organization's entries (all conditions AND). */
export interface EventFilter {
  types?: string[];
  typePrefixes?: string[];
  categories?: string[];
  actor?: string;
  actorType?: string;
  targetType?: string;
  targetId?: string;
  project?: string;
  results?: string[];
  ip?: string;
  /** Whitespace-separated words; each must appear (case-insensitive substring). */
  q?: string;
  /** Inclusive lower bound on occurred_at, epoch ms. */
  from?: number;
  /** Exclusive upper bound on occurred_at, epoch ms. */
  to?: number;
}

/** Below this many full-text matches a search looks rows up by pk; above, it walks the index in chunks. */
const CANDIDATE_CAP = 2000;
/** Slack on the pk bound for `to`: keys can sit up to this many ms past their timestamp. */
const SPILL_SLACK_MS = 1000;

type Query = SelectQueryBuilder<Tables, 'events', {}>;
/** One way of finding matching rows, newest first: a search unions the index and the unindexed tail. */
type Source = (after: number | undefined, limit: number, keysOnly?: boolean) => Promise<EventRow[]>;

const escapeLike = (term: string) => `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Reads entries by filter, newest first (pk order), with keyset pagination and capped counts. */
export function createEventQuery(database: Database) {
  const { db, adapter, search } = database;
  const doc = adapter.searchDocument();

  /**
   * `actorColumn` picks how the actor filter is applied: the actor filter matches id or email, and
   * an OR of the two columns cannot walk either index, so each column gets its own query and the
   * pages are merged by pk (see sources()). A scan of a seq window (exports) tests both at once.
   */
  function applyFields(query: Query, orgId: string, filter: EventFilter, actorColumn: 'events.actor_id' | 'events.actor_email' | 'either' = 'either'): Query {
    let q = query.where('events.org_id', '=', orgId);
    const types = filter.types ?? [];
    const prefixes = filter.typePrefixes ?? [];
    if (types.length + prefixes.length > 0) {
      q = q.where((eb) =>
        eb.or([
          ...(types.length ? [eb('events.type', 'in', types)] : []),
          // A prefix "user." is the range [user., user/) so the type index serves it.
          ...prefixes.map((p) => eb.and([eb('events.type', '>=', p), eb('events.type', '<', p.slice(0, -1) + '/')])),
        ]),
      );
    }
    if (filter.categories?.length) q = q.where('events.category', 'in', filter.categories);
    if (filter.results?.length) q = q.where('events.result', 'in', filter.results);
    if (filter.actor !== undefined) {
      const actor = filter.actor;
      q = actorColumn === 'either' ? q.where((eb) => eb.or([eb('events.actor_id', '=', actor), eb('events.actor_email', '=', actor)])) : q.where(actorColumn, '=', actor);
    }
    if (filter.actorType !== undefined) q = q.where('events.actor_type', '=', filter.actorType);
    if (filter.targetType !== undefined) q = q.where('events.target_type', '=', filter.targetType);
    if (filter.targetId !== undefined) q = q.where('events.target_id', '=', filter.targetId);
    if (filter.project !== undefined) q = q.where('events.project_id', '=', filter.project);
    if (filter.ip !== undefined) q = q.where('events.ip', '=', filter.ip);
    // Time bounds become pk bounds (pk is time-ordered); occurred_at keeps them exact.
    if (filter.from !== undefined) q = q.where('events.pk', '>=', filter.from * PK_SLOTS).where('events.occurred_at', '>=', filter.from);
    if (filter.to !== undefined) q = q.where('events.pk', '<', (filter.to + SPILL_SLACK_MS) * PK_SLOTS).where('events.occurred_at', '<', filter.to);
    return q;
  }

  const containsAll = (query: Query, terms: string[]): Query =>
    terms.reduce((q, t) => q.where(sql<boolean>`${doc} LIKE ${escapeLike(t)} ESCAPE '\\'`), query);

  const fetch = (query: Query): Source => (after, limit, keysOnly) => {
    const q = (after === undefined ? query : query.where('events.pk', '<', after)).orderBy('events.pk', 'desc').limit(limit);
    return (keysOnly ? q.select('events.pk') : q.selectAll('events')).execute() as Promise<EventRow[]>;
  };

  /** Walks the index newest first in chunks, keeping the rows that pass the other filters. */
  const indexWalk = (query: Query, terms: string[]): Source => async (after, limit, keysOnly) => {
    const rows: EventRow[] = [];
    let before = after;
    for (;;) {
      const pks = search.candidates(terms, CANDIDATE_CAP, before);
      if (pks.length === 0) return rows;
      rows.push(...(await fetch(query.where('events.pk', 'in', pks))(undefined, limit - rows.length, keysOnly)));
      if (rows.length >= limit || pks.length < CANDIDATE_CAP) return rows;
      before = pks[pks.length - 1];
    }
  };

  /** The sources to read: one plain query, or for a search, the index plus the unindexed tail; twice for an actor (id, email). */
  async function sources(orgId: string, filter: EventFilter): Promise<Source[]> {
    const columns = filter.actor === undefined ? (['events.actor_id'] as const) : (['events.actor_id', 'events.actor_email'] as const);
    return columns.flatMap((column) => sourcesFor(applyFields(db.selectFrom('events'), orgId, filter, column), orgId, filter.q));
  }

  function sourcesFor(fields: Query, orgId: string, q: string | undefined): Source[] {
    const words = [...new Set((q ?? '').toLowerCase().split(/\s+/).filter(Boolean))];
    const indexable = words.filter((w) => [...w].length >= adapter.minTermLength);
    const short = words.filter((w) => [...w].length < adapter.minTermLength);
    const base = containsAll(fields, short);
    if (indexable.length === 0) return [fetch(base)];

    const tail = fetch(containsAll(base.where('events.seq', '>', search.indexedSeq(orgId)), indexable));
    const candidates = search.candidates(indexable, CANDIDATE_CAP + 1);
    if (candidates.length > CANDIDATE_CAP) return [indexWalk(base, indexable), tail];
    if (candidates.length === 0) return [tail];
    return [fetch(base.where('events.pk', 'in', candidates)), tail];
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
   * The window is read first by the (org_id, seq) index and filtered after, so the cost of one
   * call is bounded by the window's size whatever the filter; `q` is matched on every word.
   */
  async function scan(orgId: string, filter: EventFilter, afterSeq: number, throughSeq: number): Promise<Entry[]> {
    const words = [...new Set((filter.q ?? '').toLowerCase().split(/\s+/).filter(Boolean))];
    if (Object.values(filter).every((value) => value === undefined)) {
      const rows = await db.selectFrom('events').selectAll().where('org_id', '=', orgId).where('seq', '>', afterSeq).where('seq', '<=', throughSeq).orderBy('seq').execute();
      return rows.map(rowToEntry);
    }
    const windowed = db.with(
      (cte) => cte('events').materialized(),
      (qb) => qb.selectFrom('main.events' as 'events').selectAll().where('org_id', '=', orgId).where('seq', '>', afterSeq).where('seq', '<=', throughSeq),
    );
    const query = containsAll(applyFields(windowed.selectFrom('events') as unknown as Query, orgId, filter), words);
    const rows = (await query.selectAll('events').orderBy('events.seq').execute()) as EventRow[];
    return rows.map(rowToEntry);
  }

  /** Distinct event types the organization has used: one index seek per type (skip scan), not a table scan. */
  async function types(orgId: string): Promise<Array<{ type: string; category: string }>> {
    const result = await sql<{ type: string; category: string }>`
      WITH RECURSIVE seen(type) AS (
        SELECT min(type) FROM events WHERE org_id = ${orgId}
        UNION ALL
        SELECT (SELECT min(type) FROM events WHERE org_id = ${orgId} AND type > seen.type) FROM seen WHERE seen.type IS NOT NULL LIMIT 1000
      )
      SELECT seen.type AS type, (SELECT category FROM events WHERE org_id = ${orgId} AND type = seen.type ORDER BY pk DESC LIMIT 1) AS category
      FROM seen WHERE seen.type IS NOT NULL`.execute(db);
    return result.rows;
  }

  /** Distinct actor emails starting with `prefix`, for suggestions; a skip scan over the email index. */
  async function actorEmails(orgId: string, prefix: string, limit: number): Promise<string[]> {
    const result = await sql<{ email: string }>`
      WITH RECURSIVE seen(email) AS (
        SELECT min(actor_email) FROM events WHERE org_id = ${orgId} AND actor_email >= ${prefix}
        UNION ALL
        SELECT (SELECT min(actor_email) FROM events WHERE org_id = ${orgId} AND actor_email > seen.email) FROM seen
        WHERE seen.email IS NOT NULL AND substr(seen.email, 1, ${prefix.length}) = ${prefix} LIMIT ${limit + 1}
      )
      SELECT email FROM seen WHERE email IS NOT NULL AND substr(email, 1, ${prefix.length}) = ${prefix} LIMIT ${limit}`.execute(db);
    return result.rows.map((r) => r.email);
  }

  return { list, count, scan, types, actorEmails };
}

export type EventQuery = ReturnType<typeof createEventQuery>;

import { sql, type ExpressionBuilder, type SelectQueryBuilder } from 'kysely';
import type { Database } from '../db/database.ts';
import type { Tables } from '../db/tables.ts';
import type { Entry } from './event.schemas.ts';
import { rowToEntry } from './entry-mapping.ts';
import type { SearchIndexer } from './search-indexer.ts';

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
  /** Inclusive lower bound, epoch ms. */
  from?: number;
  /** Exclusive upper bound, epoch ms. */
  to?: number;
}

/** Position after the last row of a page: entries are ordered by (occurred_at, seq) descending. */
export interface PageKey {
  occurredAt: number;
  seq: number;
}

/** Above this many full-text candidates a search walks the time index instead of the candidate list. */
const CANDIDATE_CAP = 5000;

type EventsQuery = SelectQueryBuilder<Tables, 'events', {}>;

const escapeLike = (term: string) => `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Reads entries by filter, newest first, with keyset pagination and capped counts. */
export function createEventQuery(database: Database, indexer: SearchIndexer) {
  const { db, adapter } = database;

  function applyFields(query: EventsQuery, orgId: string, filter: EventFilter): EventsQuery {
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
      q = q.where((eb) => eb.or([eb('events.actor_id', '=', actor), eb('events.actor_email', '=', actor)]));
    }
    if (filter.actorType !== undefined) q = q.where('events.actor_type', '=', filter.actorType);
    if (filter.targetType !== undefined) q = q.where('events.target_type', '=', filter.targetType);
    if (filter.targetId !== undefined) q = q.where('events.target_id', '=', filter.targetId);
    if (filter.project !== undefined) q = q.where('events.project_id', '=', filter.project);
    if (filter.ip !== undefined) q = q.where('events.ip', '=', filter.ip);
    if (filter.from !== undefined) q = q.where('events.occurred_at', '>=', filter.from);
    if (filter.to !== undefined) q = q.where('events.occurred_at', '<', filter.to);
    return q;
  }

  /** Adds the free-text condition: the index for indexed rows, a scan for the newest unindexed ones. */
  async function applySearch(query: EventsQuery, q: string): Promise<EventsQuery> {
    const words = [...new Set(q.toLowerCase().split(/\s+/).filter(Boolean))];
    if (words.length === 0) return query;
    const indexable = words.filter((w) => [...w].length >= adapter.minTermLength);
    const short = words.filter((w) => [...w].length < adapter.minTermLength);
    const doc = adapter.searchDocument();
    const docContainsAll = (eb: ExpressionBuilder<Tables, 'events'>, terms: string[]) =>
      eb.and(terms.map((t) => sql<boolean>`${doc} LIKE ${escapeLike(t)} ESCAPE '\\'`));
    let result = query;
    if (indexable.length > 0) {
      const watermark = await indexer.indexedUpTo();
      const candidates = await adapter.searchCandidates(db, indexable, CANDIDATE_CAP + 1);
      result = result.where((eb) =>
        eb.or([
          candidates.length <= CANDIDATE_CAP
            ? candidates.length > 0
              ? eb('events.pk', 'in', candidates)
              : sql<boolean>`0 = 1`
            : eb.and([eb('events.pk', '<=', watermark), adapter.searchMatches(indexable)]),
          eb.and([eb('events.pk', '>', watermark), docContainsAll(eb, indexable)]),
        ]),
      );
    }
    if (short.length > 0) result = result.where((eb) => docContainsAll(eb, short));
    return result;
  }

  async function filtered(orgId: string, filter: EventFilter): Promise<EventsQuery> {
    let query = applyFields(db.selectFrom('events'), orgId, filter);
    if (filter.q) query = await applySearch(query, filter.q);
    return query;
  }

  /** One page of entries, newest first; `next` is the key to pass for the following page. */
  async function list(orgId: string, filter: EventFilter, limit: number, after?: PageKey): Promise<{ entries: Entry[]; next: PageKey | null }> {
    let query = await filtered(orgId, filter);
    if (after) {
      query = query.where((eb) => eb(eb.refTuple('events.occurred_at', 'events.seq'), '<', eb.tuple(after.occurredAt, after.seq)));
    }
    const rows = await query
      .selectAll('events')
      .orderBy('events.occurred_at', 'desc')
      .orderBy('events.seq', 'desc')
      .limit(limit + 1)
      .execute();
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    const next = rows.length > limit && last ? { occurredAt: last.occurred_at, seq: last.seq } : null;
    return { entries: page.map(rowToEntry), next };
  }

  /** How many entries match, counting no further than `cap`. */
  async function count(orgId: string, filter: EventFilter, cap: number): Promise<{ value: number; capped: boolean }> {
    const inner = (await filtered(orgId, filter)).select(sql.lit(1).as('one')).limit(cap + 1);
    const row = await db.selectFrom(inner.as('matches')).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const n = Number(row.n);
    return { value: Math.min(n, cap), capped: n > cap };
  }

  return { list, count };
}

export type EventQuery = ReturnType<typeof createEventQuery>;

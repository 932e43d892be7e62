import type { SelectQueryBuilder } from 'kysely';
import type { Tables } from '../db/tables.ts';
import type { Entry } from '../events/event.schemas.ts';
import { PK_SLOTS } from '../db/event-keys.ts';

/**
 * What a filter means, defined once: as SQL conditions (applyFilter, for GET /v1/events, counts and
 * exports) and as a predicate over an entry (matchesFilter, for alert rules and the rows a search
 * must check itself). `q` means the same everywhere: every word is a case-insensitive substring of
 * searchText(entry), which is also the text the full-text index holds.
 */

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

/** The distinct words of `q`, lowercased: each must be a substring of the entry's searchText. */
export function searchTerms(q: string | undefined): string[] {
  return [...new Set(normalizeText(q ?? '').split(/\s+/).filter(Boolean))];
}

/** Case folding for search, the same for the index, the terms and the rows checked directly. */
export function normalizeText(text: string): string {
  return text.toLowerCase();
}

/** The text `q` searches, one field per line, case-folded: what the full-text index stores for an entry. */
export function searchText(entry: Entry): string {
  const json = (value: unknown) => (value === undefined || value === null ? undefined : JSON.stringify(value));
  const parts = [
    entry.type, entry.action, entry.actor.id, entry.actor.email, entry.actor.name,
    entry.actor.on_behalf_of?.id, entry.actor.on_behalf_of?.email,
    entry.project?.id, entry.project?.name, entry.target?.type, entry.target?.id, entry.target?.name,
    entry.ip, entry.user_agent, entry.request?.method, entry.request?.path,
    json(entry.request?.body), json(entry.request?.response), json(entry.metadata),
  ];
  return normalizeText(parts.map((p) => p ?? '').join('\n'));
}

/** Whether `text` (a searchText) holds every term. */
export function containsAllTerms(text: string, terms: readonly string[]): boolean {
  return terms.every((term) => text.includes(term));
}

/** The filter as a predicate over one entry, with exactly the meaning applyFilter gives it in SQL. */
export function matchesFilter(filter: EventFilter): (entry: Entry) => boolean {
  const terms = searchTerms(filter.q);
  const types = filter.types ?? [];
  const prefixes = filter.typePrefixes ?? [];
  return (entry) => {
    const occurredAt = Date.parse(entry.occurred_at);
    const typeOk = types.includes(entry.type) || prefixes.some((p) => entry.type.startsWith(p));
    if (types.length + prefixes.length > 0 && !typeOk) return false;
    if (filter.categories?.length && !filter.categories.includes(entry.category)) return false;
    if (filter.results?.length && !filter.results.includes(entry.result)) return false;
    if (filter.actor !== undefined && entry.actor.id !== filter.actor && entry.actor.email !== filter.actor) return false;
    if (filter.actorType !== undefined && entry.actor.type !== filter.actorType) return false;
    if (filter.targetType !== undefined && entry.target?.type !== filter.targetType) return false;
    if (filter.targetId !== undefined && entry.target?.id !== filter.targetId) return false;
    if (filter.project !== undefined && entry.project?.id !== filter.project) return false;
    if (filter.ip !== undefined && entry.ip !== filter.ip) return false;
    if (filter.from !== undefined && occurredAt < filter.from) return false;
    if (filter.to !== undefined && occurredAt >= filter.to) return false;
    return terms.length === 0 || containsAllTerms(searchText(entry), terms);
  };
}

type Query = SelectQueryBuilder<Tables, 'events', {}>;

/** Which column the actor filter tests: both (one query), or one of them (see event-query.ts). */
export type ActorColumn = 'events.actor_id' | 'events.actor_email' | 'either';

/**
 * The filter's structured conditions as SQL on the events table, scoped to `orgId`. Time bounds
 * are on occurred_at; `q` is not applied here (the search index and searchText handle it).
 */
export function applyFilter(query: Query, orgId: string, filter: EventFilter, actorColumn: ActorColumn = 'either'): Query {
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
    q = actorColumn === 'either'
      ? q.where((eb) => eb.or([eb('events.actor_id', '=', actor), eb('events.actor_email', '=', actor)]))
      : q.where(actorColumn, '=', actor);
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

/** Slack on the pk bound for `to`: keys can sit up to this many ms past their timestamp. */
export const SPILL_SLACK_MS = 1000;

/**
 * applyFilter plus key bounds for the time range: the key is time-ordered, so an index walk stops
 * at the range's end. Works on the events table and on any table with its filter columns and key.
 */
export function filterConditions(
  query: Query,
  orgId: string,
  filter: EventFilter,
  actorColumn: ActorColumn = 'either',
): Query {
  let q = applyFilter(query, orgId, filter, actorColumn);
  if (filter.from !== undefined) q = q.where('events.pk', '>=', filter.from * PK_SLOTS);
  if (filter.to !== undefined) q = q.where('events.pk', '<', (filter.to + SPILL_SLACK_MS) * PK_SLOTS);
  return q;
}

/** Whether the filter has a condition besides the organization, the time range and `q`. */
export function hasFieldConditions(filter: EventFilter): boolean {
  const { q: _q, from: _from, to: _to, ...fields } = filter;
  return Object.values(fields).some((value) => value !== undefined && !(Array.isArray(value) && value.length === 0));
}

/** The events columns the structured conditions read: what a filter index holds for each entry. */
export const FILTER_COLUMNS = [
  'org_id', 'type', 'category', 'result', 'actor_id', 'actor_type', 'actor_email',
  'target_type', 'target_id', 'project_id', 'ip', 'occurred_at',
] as const;

import type { Entry } from '../events/event.schemas.ts';
import type { EventFilter, EventQuery } from '../events/event-query.ts';
import { normalizeText } from './event-filter.ts';

/** The filters whose values the page suggests as the user types. */
export const SUGGESTION_FIELDS = ['actor', 'project', 'target'] as const;
export type SuggestionField = (typeof SUGGESTION_FIELDS)[number];

/** A value for a filter (`value`, as GET /v1/events takes it) with what a person reads for it. */
export interface Suggestion {
  value: string;
  label: string;
  detail?: string;
}

/** How many of the newest entries a suggestion reads at most: suggestions are recent values. */
const READ_LIMIT = 2000;
const PAGE = 200;

/** The field's value in one entry: actors by email (or id), projects by id, targets as type:id. */
const FROM_ENTRY: Record<SuggestionField, (entry: Entry) => Suggestion | null> = {
  actor: ({ actor }) => {
    const value = actor.email ?? actor.id;
    const label = actor.name ?? value;
    const detail = [actor.name ? actor.email : undefined, actor.type === 'user' ? undefined : actor.type.replace('_', ' ')];
    return withDetail(value, label, detail.filter(Boolean).join(' · '));
  },
  project: ({ project }) => (project ? withDetail(project.id, project.name ?? project.id, project.name ? project.id : '') : null),
  target: ({ target }) =>
    target ? withDetail(`${target.type}:${target.id}`, target.name ?? target.id, `${target.type} · ${target.id}`) : null,
};

function withDetail(value: string, label: string, detail: string): Suggestion {
  return detail && detail !== label ? { value, label, detail } : { value, label };
}

const matches = (s: Suggestion, text: string) =>
  [s.value, s.label, s.detail ?? ''].some((part) => normalizeText(part).includes(text));

/**
 * Distinct values of `field` among the organization's newest entries whose value, name or detail
 * contains `text` (case-insensitive), newest first. With text, the entries are found through the
 * search (`q` means the same as on GET /v1/events); actors also match every email with the prefix.
 */
export async function suggest(
  query: EventQuery,
  orgId: string,
  field: SuggestionField,
  text: string,
  limit: number,
): Promise<Suggestion[]> {
  const term = normalizeText(text.trim());
  const filter: EventFilter = term ? { q: term } : {};
  const found = new Map<string, Suggestion>();
  let after: number | undefined;
  for (let read = 0; read < READ_LIMIT && found.size < limit; ) {
    const page = await query.list(orgId, filter, PAGE, after);
    for (const entry of page.entries) {
      const suggestion = FROM_ENTRY[field](entry);
      if (suggestion && !found.has(suggestion.value) && (!term || matches(suggestion, term))) found.set(suggestion.value, suggestion);
    }
    read += page.entries.length;
    if (page.next === null) break;
    after = page.next;
  }
  if (field === 'actor' && term && found.size < limit) {
    for (const email of await query.actorEmails(orgId, term, limit)) if (!found.has(email)) found.set(email, { value: email, label: email });
  }
  return [...found.values()].slice(0, limit);
}

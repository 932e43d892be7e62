import type { Entry } from '../events/event.schemas.ts';
import { matchesFilter } from '../query/event-filter.ts';
import { toEventFilter } from '../query/event-filter.schemas.ts';
import type { GroupBy, RuleFilter } from './alert-rule.schemas.ts';

/** Whether an entry passes a rule's filter; the same semantics as GET /v1/events, evaluated in memory. */
export type EntryMatcher = (entry: Entry) => boolean;

/**
 * Compiles a rule's filter once into a predicate: the filter's one meaning (matchesFilter, the same
 * as GET /v1/events), plus the rule's metadata equalities.
 */
export function compileFilter(filter: RuleFilter): EntryMatcher {
  const base = matchesFilter(toEventFilter(filter));
  const metadata = Object.entries(filter.metadata ?? {}).map(([field, v]) => [field, Array.isArray(v) ? v : [v]] as const);
  return (entry) => {
    if (!base(entry)) return false;
    const fields = entry.metadata && typeof entry.metadata === 'object' && !Array.isArray(entry.metadata) ? entry.metadata : {};
    return metadata.every(([field, accepted]) => accepted.some((a) => a === (fields as Record<string, unknown>)[field]));
  };
}

export interface Group {
  /** The dimension, or null when the rule does not group. */
  by: GroupBy | null;
  value: string | null;
  /** Stable key of the group: "actor:<id>", "ip:<address>", "target:<type>:<id>", or "*". */
  key: string;
  /** Its name as the entry gives it, for people: "Dana Smith <dana@example.com>", a target's name; null when unnamed. */
  label: string | null;
  /** What the Audit Logs filter of this dimension is given: an actor's email when it has one (readable), else the value. */
  filterValue: string | null;
}

function actorLabel(actor: Entry['actor']): string | null {
  if (actor.name && actor.email) return `${actor.name} <${actor.email}>`;
  return actor.email ?? actor.name ?? null;
}

function groupOf(entry: Entry, by: GroupBy): Group | undefined {
  const target = entry.target;
  const value = by === 'actor' ? entry.actor.id : by === 'ip' ? entry.ip : target ? `${target.type}:${target.id}` : null;
  if (value === null || value === undefined || value === '') return undefined;
  const label = by === 'actor' ? actorLabel(entry.actor) : by === 'target' ? (target?.name ?? null) : null;
  const filterValue = by === 'actor' ? (entry.actor.email ?? value) : value;
  return { by, value, key: `${by}:${value}`, label, filterValue };
}

/** The groups an entry counts in: one per dimension it has a value for (none when it lacks them all). */
export function groupsOf(entry: Entry, groupBy: readonly GroupBy[]): Group[] {
  if (groupBy.length === 0) return [{ by: null, value: null, key: '*', label: null, filterValue: null }];
  return groupBy.map((by) => groupOf(entry, by)).filter((g): g is Group => g !== undefined);
}

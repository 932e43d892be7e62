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
}

/** The groups an entry counts in: one per dimension it has a value for (none when it lacks them all). */
export function groupsOf(entry: Entry, groupBy: readonly GroupBy[]): Group[] {
  if (groupBy.length === 0) return [{ by: null, value: null, key: '*' }];
  const out: Group[] = [];
  for (const by of groupBy) {
    const value = by === 'actor' ? entry.actor.id : by === 'ip' ? entry.ip : entry.target ? `${entry.target.type}:${entry.target.id}` : null;
    if (value !== null && value !== '') out.push({ by, value, key: `${by}:${value}` });
  }
  return out;
}

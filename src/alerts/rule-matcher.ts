import type { Entry } from '../events/event.schemas.ts';
import type { GroupBy, RuleFilter } from './alert-rule.schemas.ts';

/** Whether an entry passes a rule's filter; the same semantics as GET /v1/events, evaluated in memory. */
export type EntryMatcher = (entry: Entry) => boolean;

/** The text `q` searches: the fields the full-text index covers (db/sqlite-adapter.ts searchDocument). */
export function searchText(entry: Entry): string {
  const parts = [
    entry.type, entry.action, entry.actor.id, entry.actor.email, entry.actor.name, entry.actor.on_behalf_of?.id, entry.actor.on_behalf_of?.email,
    entry.project?.id, entry.project?.name, entry.target?.type, entry.target?.id, entry.target?.name, entry.ip, entry.user_agent,
    entry.request?.method, entry.request?.path,
    entry.request?.body === undefined ? undefined : JSON.stringify(entry.request.body),
    entry.request?.response === undefined ? undefined : JSON.stringify(entry.request.response),
    entry.metadata === null ? undefined : JSON.stringify(entry.metadata),
  ];
  return parts.map((p) => p ?? '').join('\n').toLowerCase();
}

/** Compiles a rule's filter once into a predicate. */
export function compileFilter(filter: RuleFilter): EntryMatcher {
  const types = filter.type?.filter((t) => !t.endsWith('.*'));
  const prefixes = filter.type?.filter((t) => t.endsWith('.*')).map((t) => t.slice(0, -1));
  const words = [...new Set((filter.q ?? '').toLowerCase().split(/\s+/).filter(Boolean))];
  const metadata = Object.entries(filter.metadata ?? {}).map(([field, v]) => [field, Array.isArray(v) ? v : [v]] as const);
  return (entry) => {
    if (filter.type?.length && !(types?.includes(entry.type) || prefixes?.some((p) => entry.type.startsWith(p)))) return false;
    if (filter.category?.length && !filter.category.includes(entry.category)) return false;
    if (filter.result?.length && !filter.result.includes(entry.result)) return false;
    if (filter.actor !== undefined && entry.actor.id !== filter.actor && entry.actor.email !== filter.actor) return false;
    if (filter.actor_type !== undefined && entry.actor.type !== filter.actor_type) return false;
    if (filter.target_type !== undefined && entry.target?.type !== filter.target_type) return false;
    if (filter.target_id !== undefined && entry.target?.id !== filter.target_id) return false;
    if (filter.project !== undefined && entry.project?.id !== filter.project) return false;
    if (filter.ip !== undefined && entry.ip !== filter.ip) return false;
    for (const [field, accepted] of metadata) {
      const value = entry.metadata && typeof entry.metadata === 'object' && !Array.isArray(entry.metadata) ? (entry.metadata as Record<string, unknown>)[field] : undefined;
      if (!accepted.some((a) => a === value)) return false;
    }
    if (words.length > 0) {
      const text = searchText(entry);
      if (!words.every((w) => text.includes(w))) return false;
    }
    return true;
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

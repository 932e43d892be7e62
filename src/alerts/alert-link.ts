import type { Group } from './rule-matcher.ts';
import type { RuleFilter } from './alert-rule.schemas.ts';

/**
 * The Audit Logs page (web/src/lib/filters.ts parameter names) filtered to an alert's entries:
 * the rule's types, results, actor, target, project and text, the group's value, and a custom
 * range from the first to just after the last matching entry. Filters the page does not offer
 * (categories, actor type, metadata) are left out, so the page may show a few more entries.
 */
export function alertLink(filter: RuleFilter, group: Group, windowStart: number, windowEnd: number): string {
  const params = new URLSearchParams();
  for (const t of filter.type ?? []) params.append('type', t);
  const actor = group.by === 'actor' ? group.filterValue : filter.actor;
  if (actor) params.set('actor', actor);
  const target = group.by === 'target' ? group.value : filter.target_id ? (filter.target_type ? `${filter.target_type}:${filter.target_id}` : filter.target_id) : undefined;
  if (target) params.set('target', target);
  if (filter.project) params.set('project', filter.project);
  for (const r of filter.result ?? []) params.append('result', r);
  params.set('range', 'custom');
  params.set('from', new Date(windowStart).toISOString());
  params.set('to', new Date(windowEnd + 1).toISOString());
  const words = [filter.q?.trim(), filter.ip, group.by === 'ip' ? group.value : undefined].filter((w): w is string => !!w);
  if (words.length) params.set('q', [...new Set(words)].join(' '));
  return `/audit-logs?${params.toString()}`;
}

import type { AlertRow } from './alert.repo.ts';
import type { AlertGroup } from './alert-rule.schemas.ts';
import type { Group } from './rule-matcher.ts';

/** An alert's related groups (other groups of the same incident). */
export const relatedOf = (row: Pick<AlertRow, 'related'>): AlertGroup[] => (row.related ? JSON.parse(row.related) : []);

/**
 * The open alert a new firing belongs to, if any: the same rule, raised for another of the
 * triggering entry's groups (one attack seen per actor and per IP), its window reaching into the
 * new one. One incident then makes one alert, naming every group it was seen in.
 */
export function incidentOf(
  candidates: readonly AlertRow[],
  ruleId: string,
  group: Group,
  entryKeys: ReadonlySet<string>,
  windowStart: number,
  windowMs: number,
): AlertRow | undefined {
  return candidates.find(
    (a) =>
      a.rule_id === ruleId &&
      a.status === 'open' &&
      a.group_by !== null &&
      a.group_by !== group.by &&
      entryKeys.has(`${a.group_by}:${a.group_value}`) &&
      a.window_end >= windowStart - windowMs,
  );
}

/** Names `group` on the alert of its incident (once). */
export function addRelated(row: AlertRow, group: Group): void {
  if (!group.by || group.value === null) return;
  const list = relatedOf(row);
  if (list.some((g) => g.by === group.by && g.value === group.value)) return;
  list.push({ by: group.by, value: group.value, label: group.label });
  row.related = JSON.stringify(list);
}

/** Shapes of the alerts API (/v1/alerts, /v1/alert-rules, /v1/alert-webhook), from the server's own schemas. */
import type { AlertGroup, AlertView, GroupBy, RuleView, Severity, WebhookView } from '../../../src/alerts/alert-view.schema.ts';

export type { AlertGroup, GroupBy, Severity };
export type AlertItem = AlertView;

export interface RuleFilter {
  type?: string[];
  result?: string[];
  actor?: string;
  q?: string;
  [other: string]: unknown;
}

export type Condition = { type: 'any'; group_by: GroupBy[] } | { type: 'threshold'; count: number; window_minutes: number; group_by: GroupBy[] };

/** A rule as the server answers it, with its filter and condition in the form the rule form edits. */
export type AlertRule = Omit<RuleView, 'filter' | 'condition'> & { filter: RuleFilter; condition: Condition };

export type AlertWebhook = WebhookView;

/** A rule as the rule form edits it and POST/PATCH /v1/alert-rules take it. */
export interface RuleDraft {
  name: string;
  filter: RuleFilter;
  condition: Condition;
  cooldown_minutes: number;
  enabled: boolean;
  severity: Severity;
}

/** "5 or more within 10 min, per actor or IP" */
export function describeCondition(c: Condition): string {
  const per = c.group_by.length ? `, per ${c.group_by.map((g) => (g === 'ip' ? 'IP' : g)).join(' or ')}` : '';
  return c.type === 'any' ? `Any matching entry${per}` : `${c.count} or more within ${c.window_minutes} min${per}`;
}

export const SEVERITIES: Severity[] = ['low', 'medium', 'high', 'critical'];
/** Red is kept for what needs acting on now; low stays neutral. */
export const SEVERITY_COLORS: Record<Severity, string> = { low: 'gray', medium: 'yellow', high: 'orange', critical: 'red' };

/** A group as a person reads it: "Dana Smith <dana@example.com>", "IP 10.0.0.7", a target's name. */
export function groupText(group: AlertGroup): string {
  if (group.label) return group.label;
  if (group.by === 'ip') return `IP ${group.value}`;
  return group.by === 'target' ? `target ${group.value}` : group.value;
}

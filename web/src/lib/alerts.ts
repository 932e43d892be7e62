/** Shapes of the alerts API (/v1/alerts, /v1/alert-rules, /v1/alert-webhook). */
export type Severity = 'low' | 'medium' | 'high' | 'critical';
export interface AlertGroup {
  by: GroupBy;
  value: string;
  label: string | null;
}

export interface AlertItem {
  id: string;
  rule: { id: string; name: string };
  group_key: string | null;
  group: AlertGroup | null;
  related: AlertGroup[];
  severity: Severity;
  count: number;
  suppressed: number;
  window: { start: string; end: string; minutes: number | null };
  first_entry_id: string;
  last_entry_id: string;
  link: string;
  status: 'open' | 'acknowledged';
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  created_at: string;
  webhook: { state: string; attempts: number; last_error: string | null; updated_at: string } | null;
}

export type GroupBy = 'actor' | 'ip' | 'target';

export interface RuleFilter {
  type?: string[];
  result?: string[];
  actor?: string;
  q?: string;
  [other: string]: unknown;
}

export type Condition = { type: 'any'; group_by: GroupBy[] } | { type: 'threshold'; count: number; window_minutes: number; group_by: GroupBy[] };

export interface AlertRule {
  id: string;
  name: string;
  builtin: string | null;
  filter: RuleFilter;
  condition: Condition;
  cooldown_minutes: number;
  enabled: boolean;
  severity: Severity;
  created_at: string;
  updated_at: string;
}

export interface AlertWebhook {
  url: string;
  enabled: boolean;
  secret?: string;
  updated_at: string;
  deliveries: Array<{ alert_id: string; rule_name: string; state: string; attempts: number; last_error: string | null; updated_at: string }>;
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

import { z } from 'zod';

/**
 * What the alerts API answers, apart from the input schemas (alert-rule.schemas.ts) so the web page
 * can take the types (`import type`) without the server's Node.js imports.
 */

export const GROUP_BY = ['actor', 'ip', 'target'] as const;
export type GroupBy = (typeof GROUP_BY)[number];

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const ruleViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  builtin: z.string().nullable().describe('which built-in default this rule started as'),
  filter: z.record(z.string(), z.unknown()),
  condition: z.record(z.string(), z.unknown()),
  cooldown_minutes: z.number().int(),
  enabled: z.boolean(),
  severity: z.enum(SEVERITIES),
  created_at: z.string(),
  updated_at: z.string(),
});
export type RuleView = z.infer<typeof ruleViewSchema>;

export const ALERT_STATUSES = ['open', 'acknowledged'] as const;

const alertGroupSchema = z.object({
  by: z.enum(GROUP_BY),
  value: z.string(),
  label: z.string().nullable().describe('"Dana Smith <dana@example.com>" for an actor, the name of a target; null when unnamed'),
});
export type AlertGroup = z.infer<typeof alertGroupSchema>;

export const alertViewSchema = z.object({
  id: z.string(),
  rule: z.object({ id: z.string(), name: z.string() }),
  group_key: z.string().nullable().describe('e.g. "actor:user-1" or "ip:10.0.0.1"; null when the rule does not group'),
  group: alertGroupSchema.nullable().describe('the group with its name as the entries gave it; null when the rule does not group'),
  related: z.array(alertGroupSchema).describe('other groups the same incident raised, counted on this alert instead of alerting again'),
  severity: z.enum(SEVERITIES),
  count: z.number().int(),
  suppressed: z.number().int().describe('matches during the cooldown after this alert, counted here instead of alerting again'),
  window: z.object({ start: z.string(), end: z.string(), minutes: z.number().int().nullable() }),
  first_entry_id: z.string(),
  last_entry_id: z.string(),
  link: z.string().describe('the Audit Logs page with filters set to the matching entries'),
  status: z.enum(ALERT_STATUSES),
  acknowledged_at: z.string().nullable(),
  acknowledged_by: z.string().nullable(),
  created_at: z.string(),
  webhook: z
    .object({ state: z.string(), attempts: z.number().int(), last_error: z.string().nullable(), updated_at: z.string() })
    .nullable()
    .describe('delivery of this alert to the webhook; null when no webhook was enabled'),
});
export type AlertView = z.infer<typeof alertViewSchema>;

export const webhookViewSchema = z.object({
  url: z.string().describe('scheme and host only, e.g. "https://hooks.example.com/…": the path may be a secret'),
  enabled: z.boolean(),
  secret: z.string().optional().describe('the signing secret: returned only when it was just generated'),
  updated_at: z.string(),
  deliveries: z.array(
    z.object({ alert_id: z.string(), rule_name: z.string(), state: z.string(), attempts: z.number().int(), last_error: z.string().nullable(), updated_at: z.string() }),
  ),
});
export type WebhookView = z.infer<typeof webhookViewSchema>;

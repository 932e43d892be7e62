import { z } from 'zod';
import { singleLineText } from '../events/event.schemas.ts';
import { outboundUrlSchema, queryInt } from '../http/schemas.ts';
import { eventFilterQuerySchema } from '../query/event-filter.schemas.ts';

export const GROUP_BY = ['actor', 'ip', 'target'] as const;
export type GroupBy = (typeof GROUP_BY)[number];

const metadataValue = z.union([z.string().max(256), z.number(), z.boolean()]);

/**
 * A rule's filter: the filter language of GET /v1/events (without the time bounds, which a
 * standing rule has no use for), plus `metadata`: top-level metadata fields that must equal one
 * of the given values.
 */
export const ruleFilterSchema = eventFilterQuerySchema
  .omit({ from: true, to: true, range: true })
  .extend({
    metadata: z
      .record(z.string().min(1).max(128), z.union([metadataValue, z.array(metadataValue).min(1).max(50)]))
      .refine((m) => Object.keys(m).length <= 20, 'at most 20 metadata fields')
      .optional()
      .describe('top-level metadata field -> value, or list of accepted values; every field must match'),
  });

export type RuleFilterInput = z.input<typeof ruleFilterSchema>;
export type RuleFilter = z.output<typeof ruleFilterSchema>;

/** "any matching entry", or "at least `count` matching entries within `window_minutes`", per group. */
export const conditionSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('any'),
    group_by: z.array(z.enum(GROUP_BY)).max(3).default([]).describe('groups the cooldown applies to; empty: one group for the whole rule'),
  }),
  z.strictObject({
    type: z.literal('threshold'),
    count: z.number().int().min(1).max(10_000),
    window_minutes: z.number().int().min(1).max(7 * 24 * 60),
    group_by: z
      .array(z.enum(GROUP_BY))
      .max(3)
      .default([])
      .describe('each dimension counts separately (["actor", "ip"]: the same actor, or the same IP); empty: all matches together'),
  }),
]);

export type Condition = z.output<typeof conditionSchema>;

export const DEFAULT_COOLDOWN_MINUTES = 15;

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
const severitySchema = z.enum(SEVERITIES).describe('how urgent an alert of this rule is; copied onto each alert it fires');

export const createRuleSchema = z.strictObject({
  name: z.string().trim().pipe(singleLineText(200)),
  filter: ruleFilterSchema.prefault({}),
  condition: conditionSchema,
  cooldown_minutes: z.number().int().min(0).max(7 * 24 * 60).default(DEFAULT_COOLDOWN_MINUTES).describe('after an alert, further matches of the same rule and group are counted on it instead of alerting again'),
  enabled: z.boolean().default(true),
  severity: severitySchema.default('medium'),
});
export type CreateRule = z.output<typeof createRuleSchema>;
export type CreateRuleInput = z.input<typeof createRuleSchema>;

export const patchRuleSchema = z
  .strictObject({
    name: z.string().trim().pipe(singleLineText(200)).optional(),
    filter: ruleFilterSchema.optional(),
    condition: conditionSchema.optional(),
    cooldown_minutes: z.number().int().min(0).max(7 * 24 * 60).optional(),
    enabled: z.boolean().optional(),
    severity: severitySchema.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'give at least one field');
export type PatchRule = z.output<typeof patchRuleSchema>;

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

export const ruleParams = z.object({ id: z.string().min(1).max(64) });

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

export const listAlertsQuery = z.object({
  status: z.enum(ALERT_STATUSES).optional(),
  limit: queryInt(1, 500).default(100),
});

export const webhookUrlSchema = outboundUrlSchema('verify the signature instead', 'https://hooks.example.com/auditum')
  .describe('stored encrypted; the masked form GET shows (scheme and host, "https://hooks.example.com/…") keeps the stored URL');

export const putWebhookSchema = z.strictObject({
  url: webhookUrlSchema,
  enabled: z.boolean().default(true),
  rotate_secret: z.boolean().default(false).describe('generate a new signing secret (one is generated on first configuration anyway)'),
});

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

import { z } from 'zod';
import { singleLineText } from '../events/event.schemas.ts';
import { outboundUrlSchema, queryInt } from '../http/schemas.ts';
import { eventFilterQuerySchema } from '../query/event-filter.schemas.ts';
import { ALERT_STATUSES, GROUP_BY, SEVERITIES } from './alert-view.schema.ts';

export * from './alert-view.schema.ts';

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


export const ruleParams = z.object({ id: z.string().min(1).max(64) });



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


import { isIP } from 'node:net';
import { z } from 'zod';
import { jsonValueProblem } from './json-value.ts';
import { ACTOR_TYPES, RESULTS } from './entry.schema.ts';

export { ACTOR_TYPES, RESULTS };
export const MAX_METADATA_BYTES = 32 * 1024;
export const MAX_JSON_DEPTH = 16;
export const MAX_FUTURE_MS = 5 * 60 * 1000;
export const MAX_BATCH = 1000;

const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
const CONTROL_CHARS_EXCEPT_WHITESPACE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** A single-line string: no control characters, no lone surrogates (every text field of every route). */
export const singleLineText = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !CONTROL_CHARS.test(s), 'must not contain control characters')
    .refine((s) => s.isWellFormed(), 'must be valid Unicode');

/** A JSON value nested at most 16 levels, with valid Unicode strings. */
const jsonValue = z.unknown().superRefine((value, ctx) => {
  const problem = jsonValueProblem(value, MAX_JSON_DEPTH);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const eventTypeSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[a-z0-9_.-]+$/, 'must be lowercase letters, digits, "_", "-" and "."')
  .refine((s) => s.includes('.'), 'must contain at least one dot, e.g. "user.login"')
  .describe('dot.case event type such as user.login');

export const categorySchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,63}$/, 'must be one lowercase word, e.g. "security"')
  .describe('agent, policy, user, security, system, data, configuration, or a custom lowercase word');

export const rfc3339 = z.iso.datetime({ offset: true, message: 'must be an RFC 3339 timestamp, e.g. 2026-01-31T10:00:00Z' });

/**
 * An email the application owns, recorded as sent: an audit log never refuses an event for the shape
 * of an identifier (internationalized addresses, RFC 6531, and odd ones alike), only for its length
 * and control characters.
 */
export const recordedEmail = singleLineText(320).describe('the email as the application knows it');

/** An address a person signs in with or is invited at: internationalized addresses (RFC 6531) are accepted. */
export const accountEmail = z.email({ pattern: z.regexes.unicodeEmail }).max(320);

export const actorSchema = z.strictObject({
  id: singleLineText(256),
  type: z.enum(ACTOR_TYPES).default('user'),
  email: recordedEmail.optional(),
  name: singleLineText(256).optional(),
  on_behalf_of: z.strictObject({ id: singleLineText(256), email: recordedEmail.optional() }).optional(),
});

export const eventInputSchema = z
  .strictObject({
    id: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[\x21-\x7e]+$/, 'must be 1-128 printable ASCII characters without spaces')
      .optional()
      .describe('idempotency key: sending the same id again returns the stored event'),
    type: eventTypeSchema,
    category: categorySchema.optional(),
    action: z
      .string()
      .max(1000)
      .refine((s) => !CONTROL_CHARS_EXCEPT_WHITESPACE.test(s), 'must not contain control characters')
      .refine((s) => s.isWellFormed(), 'must be valid Unicode')
      .optional(),
    result: z.enum(RESULTS).default('success'),
    actor: actorSchema,
    project: z.strictObject({ id: singleLineText(256), name: singleLineText(256).optional() }).optional(),
    target: z.strictObject({ type: singleLineText(128), id: singleLineText(256), name: singleLineText(256).optional() }).optional(),
    ip: z
      .string()
      .max(64)
      .refine((s) => isIP(s) !== 0, 'must be a valid IPv4 or IPv6 address')
      .optional(),
    user_agent: z
      .string()
      .max(1024)
      .refine((s) => !CONTROL_CHARS.test(s) && s.isWellFormed(), 'must not contain control characters')
      .optional(),
    request: z
      .strictObject({
        method: z.string().regex(/^[A-Za-z]{1,16}$/, 'must be an HTTP method such as POST'),
        path: singleLineText(2048),
        body: jsonValue.optional(),
        status: z.number().int().min(100).max(599).optional(),
        response: jsonValue.optional(),
      })
      .optional(),
    metadata: z
      .record(z.string(), z.unknown())
      .superRefine((value, ctx) => {
        const problem = jsonValueProblem(value, MAX_JSON_DEPTH, MAX_METADATA_BYTES);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
    occurred_at: rfc3339
      .refine((s) => Date.parse(s) <= Date.now() + MAX_FUTURE_MS, 'must not be more than 5 minutes in the future')
      .refine((s) => Date.parse(s) >= 0, 'must not be before 1970-01-01T00:00:00Z')
      .optional(),
  })
  .describe('An audit event as sent by an application');

export type EventInput = z.infer<typeof eventInputSchema>;

export const ingestBodySchema = z.union([
  z.strictObject({ events: z.array(eventInputSchema).min(1).max(MAX_BATCH) }),
  eventInputSchema,
]).meta({
  examples: [{
    type: 'user.role_changed',
    action: 'Changed role from member to admin',
    actor: { id: 'user-42', email: 'dana@example.com', name: 'Dana Smith' },
    target: { type: 'user', id: 'user-7', name: 'Sam Lee' },
    ip: '203.0.113.9',
    metadata: { changes: { role: { from: 'member', to: 'admin' } } },
    occurred_at: '2026-12-01T10:00:00Z',
  }],
});

export const ingestResponseSchema = z.object({
  events: z.array(
    z.object({
      id: z.string(),
      seq: z.number().int(),
      hash: z.string(),
      duplicate: z.boolean().optional().describe('true when the id was already stored; nothing new was written'),
    }),
  ),
});

export { entrySchema, type Entry } from './entry.schema.ts';

import { z } from 'zod';
import { rfc3339, singleLineText } from '../events/event.schemas.ts';
import { ERASURE_STATUSES } from './erasure.repo.ts';

const subjectSchema = z.union([
  z.strictObject({ actor_id: singleLineText(256) }),
  z.strictObject({ email: singleLineText(320) }),
  z.strictObject({ ip: z.ipv4().or(z.ipv6()).describe('an IPv4 or IPv6 address') }),
]).describe('exactly one of actor_id, email, ip');

export const erasureRequestSchema = z.strictObject({
  subject: subjectSchema,
  from: rfc3339.optional().describe('only entries that occurred at or after this time'),
  to: rfc3339.optional().describe('only entries that occurred before this time'),
  reason: singleLineText(1000).describe('why (a request reference, the legal ground); recorded'),
  dry_run: z.boolean().default(false).describe('true: count what would be erased, change nothing'),
  skip_legacy: z
    .boolean()
    .default(false)
    .describe('erase the rest when entries under hash version 1 hold the subject (those cannot be erased)'),
}).refine((body) => !body.from || !body.to || Date.parse(body.from) < Date.parse(body.to), {
  message: 'from must be before to',
  path: ['from'],
});

export type ErasureRequest = z.infer<typeof erasureRequestSchema>;

export const erasureViewSchema = z.object({
  id: z.string(),
  status: z.enum(ERASURE_STATUSES),
  dry_run: z.boolean(),
  subject: z.object({
    kind: z.enum(['actor_id', 'email', 'ip']),
    hash: z.string().describe('hex HMAC-SHA256 of the subject under a server key; the subject is never stored after the job'),
  }),
  from: z.string().nullable(),
  to: z.string().nullable(),
  reason: z.string(),
  skip_legacy: z.boolean(),
  requested_by: z.object({ id: z.string(), type: z.string() }),
  progress: z.number().describe('0..1'),
  result: z.object({
    entries: z.number().int().describe('entries with fields to erase (dry run) or erased'),
    fields: z.record(z.string(), z.number().int()).describe('per field path, in how many entries'),
    legacy_entries: z.number().int().describe('entries under hash version 1 holding the subject: never erased'),
    first_seq: z.number().int().nullable(),
    last_seq: z.number().int().nullable(),
    exports_expired: z.number().int(),
  }),
  error: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

export type ErasureView = z.infer<typeof erasureViewSchema>;

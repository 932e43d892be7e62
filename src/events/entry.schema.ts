import { z } from 'zod';

/**
 * The stored entry as the API returns it, apart from the ingest schemas (event.schemas.ts) so the
 * web page can take its type (`import type`) without the server's Node.js imports.
 */
export const RESULTS = ['success', 'failed', 'denied', 'warning', 'approved', 'allowed'] as const;
export const ACTOR_TYPES = ['user', 'api_key', 'oauth2_client', 'system'] as const;

/** The stored entry as the API returns it; the hash covers every field but `hash` (and `personal`, by commitments). */
export const entrySchema = z.object({
  id: z.string(),
  org_id: z.string(),
  seq: z.number().int(),
  type: z.string(),
  category: z.string(),
  action: z.string().nullable(),
  result: z.enum(RESULTS),
  actor: z.object({
    id: z.string(),
    type: z.enum(ACTOR_TYPES),
    email: z.string().optional(),
    name: z.string().optional(),
    on_behalf_of: z.object({ id: z.string(), email: z.string().optional() }).optional(),
  }),
  project: z.object({ id: z.string(), name: z.string().optional() }).nullable(),
  target: z.object({ type: z.string(), id: z.string(), name: z.string().optional() }).nullable(),
  ip: z.string().nullable(),
  user_agent: z.string().nullable(),
  request: z
    .object({
      method: z.string(),
      path: z.string(),
      body: z.unknown().optional(),
      status: z.number().int().optional(),
      response: z.unknown().optional(),
    })
    .nullable(),
  metadata: z.record(z.string(), z.unknown()).nullable(),
  occurred_at: z.string(),
  received_at: z.string(),
  prev_hash: z.string(),
  hash_version: z.literal(2).optional().describe('absent: version 1 (README, Hash chain specification)'),
  personal: z
    .record(
      z.string(),
      z.union([
        z.strictObject({ salt: z.string().describe('hex of the random salt of a field that holds its value') }),
        z.strictObject({ commitment: z.string().describe('hex SHA-256 commitment of an erased field') }),
      ]),
    )
    .optional()
    .describe('version 2: each personal field by its path, with its salt, or its commitment once erased'),
  hash: z.string(),
});

export type Entry = z.infer<typeof entrySchema>;

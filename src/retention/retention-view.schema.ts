import { z } from 'zod';

/**
 * What the retention settings API answers, apart from the routes (retention.routes.ts) so the web page
 * can take the type (`import type`) without the server's Node.js imports.
 */
export const retentionViewSchema = z.object({
  retention_days: z.number().int().nullable(),
  legal_hold: z.boolean(),
  purged_through_seq: z.number().int(),
  last_purge_at: z.string().nullable(),
});
export type RetentionView = z.infer<typeof retentionViewSchema>;

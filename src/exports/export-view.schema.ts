import { z } from 'zod';

/**
 * What the exports API answers, apart from the input schemas (export.schemas.ts) so the web page
 * can take the types (`import type`) without the server's Node.js imports.
 */
export const EXPORT_FORMATS = ['csv', 'xlsx', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const EXPORT_ORDERS = ['time', 'chain'] as const;
export type ExportOrder = (typeof EXPORT_ORDERS)[number];
export const EXPORT_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled', 'expired'] as const;
export type ExportStatus = (typeof EXPORT_STATUSES)[number];

/** The filter as stored (relative ranges already resolved), in the API's own terms. */
export const exportFilterViewSchema = z.object({
  type: z.array(z.string()).optional(),
  category: z.array(z.string()).optional(),
  actor: z.string().optional(),
  actor_type: z.string().optional(),
  target_type: z.string().optional(),
  target_id: z.string().optional(),
  project: z.string().optional(),
  result: z.array(z.string()).optional(),
  ip: z.string().optional(),
  q: z.string().optional(),
  from: z.string().optional(),
  to: z.string().optional(),
});

export const exportViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  format: z.enum(EXPORT_FORMATS),
  order: z.enum(EXPORT_ORDERS),
  status: z.enum(EXPORT_STATUSES),
  filter: exportFilterViewSchema,
  through_seq: z.number().int().describe('the last seq the export can include: entries recorded after it was queued are left out'),
  rows_written: z.number().int(),
  progress: z.number().min(0).max(1).describe('0..1, how far through the log the export has read'),
  size_bytes: z.number().int().nullable(),
  error: z.string().nullable(),
  created_by: z.object({ id: z.string(), type: z.string(), email: z.string().optional() }),
  created_at: z.string(),
  started_at: z.string().nullable(),
  completed_at: z.string().nullable(),
  expires_at: z.string().nullable(),
  download_url: z.string().nullable().describe('present when the file can be downloaded'),
});

export type ExportView = z.infer<typeof exportViewSchema>;

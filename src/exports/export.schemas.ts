import { z } from 'zod';
import { singleLineText } from '../events/event.schemas.ts';
import { eventFilterQuerySchema } from '../query/event-filter.schemas.ts';
import type { EventFilter } from '../events/event-query.ts';
import { EXPORT_FORMATS, EXPORT_ORDERS, EXPORT_STATUSES, type ExportFormat, type ExportOrder } from './export.repo.ts';

/** POST /v1/exports: a name and format, plus any filter GET /v1/events accepts. */
export const createExportBodySchema = eventFilterQuerySchema.extend({
  name: z.string().trim().min(1, 'must not be empty').pipe(singleLineText(200)).describe('shown in the list; the download file is named after it'),
  format: z.enum(EXPORT_FORMATS).describe('csv, xlsx or jsonl'),
  order: z
    .enum(EXPORT_ORDERS)
    .optional()
    .describe('time: newest first by occurred_at, as the Audit Logs page (default for csv and xlsx); chain: by seq, for verification (default for jsonl)'),
});

/** Spreadsheets are read by people (time order); JSON Lines are for verification (chain order). */
export const defaultOrder = (format: ExportFormat): ExportOrder => (format === 'jsonl' ? 'chain' : 'time');

export type CreateExportBody = z.infer<typeof createExportBodySchema>;

export const exportIdParamsSchema = z.object({ id: z.uuid({ message: 'must be an export id (a UUID)' }) });

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

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** The stored filter back in query-parameter terms, for display and for the audit record. */
export function filterView(filter: EventFilter): z.infer<typeof exportFilterViewSchema> {
  const types = [...(filter.types ?? []), ...(filter.typePrefixes ?? []).map((p) => `${p}*`)];
  const view = {
    type: types.length ? types : undefined,
    category: filter.categories,
    actor: filter.actor,
    actor_type: filter.actorType,
    target_type: filter.targetType,
    target_id: filter.targetId,
    project: filter.project,
    result: filter.results,
    ip: filter.ip,
    q: filter.q,
    from: iso(filter.from),
    to: iso(filter.to),
  };
  return Object.fromEntries(Object.entries(view).filter(([, v]) => v !== undefined));
}

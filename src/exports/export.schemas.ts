import { z } from 'zod';
import { singleLineText } from '../events/event.schemas.ts';
import { eventFilterQuerySchema } from '../query/event-filter.schemas.ts';
import type { EventFilter } from '../events/event-query.ts';
import { EXPORT_FORMATS, EXPORT_ORDERS, type ExportFormat, type ExportOrder } from './export.repo.ts';
import { exportFilterViewSchema } from './export-view.schema.ts';

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

export { exportFilterViewSchema, exportViewSchema, type ExportView } from './export-view.schema.ts';

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

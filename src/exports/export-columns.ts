import type { Entry } from '../events/event.schemas.ts';

/** The columns of the CSV and Excel exports, in order (the README lists them). */
export const EXPORT_COLUMNS = [
  'timestamp',
  'event_type',
  'category',
  'actor_email',
  'actor_id',
  'actor_type',
  'project',
  'action',
  'result',
  'target_type',
  'target_id',
  'target_name',
  'ip',
  'user_agent',
  'request_method',
  'request_path',
  'metadata',
  'event_id',
  'seq',
  'hash',
  // Added later, at the end, so scripts reading columns by position keep working.
  'actor_name',
  'on_behalf_of_id',
  'on_behalf_of_email',
  'response_status',
  'received_at',
  'prev_hash',
] as const;

/** Columns holding a time (ISO 8601 UTC text in CSV, a date cell in Excel). */
export const TIME_COLUMNS: ReadonlySet<string> = new Set(['timestamp', 'received_at']);

export type ExportCell = string | number | null;

/**
 * One entry as a row of cells, in EXPORT_COLUMNS order: the timestamp is occurred_at in UTC
 * (ISO 8601, milliseconds), project is the project id, metadata is its JSON text, response_status
 * the HTTP status the recorded request got (request.status); absent values are null (an empty cell).
 */
export function entryCells(entry: Entry): ExportCell[] {
  return [
    entry.occurred_at,
    entry.type,
    entry.category,
    entry.actor.email ?? null,
    entry.actor.id,
    entry.actor.type,
    entry.project?.id ?? null,
    entry.action,
    entry.result,
    entry.target?.type ?? null,
    entry.target?.id ?? null,
    entry.target?.name ?? null,
    entry.ip,
    entry.user_agent,
    entry.request?.method ?? null,
    entry.request?.path ?? null,
    entry.metadata === null ? null : JSON.stringify(entry.metadata),
    entry.id,
    entry.seq,
    entry.hash,
    entry.actor.name ?? null,
    entry.actor.on_behalf_of?.id ?? null,
    entry.actor.on_behalf_of?.email ?? null,
    entry.request?.status ?? null,
    entry.received_at,
    entry.prev_hash,
  ];
}

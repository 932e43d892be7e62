import type { Flat, OtlpRecord } from './otlp-decode.ts';

/**
 * An OTLP log record as an Auditum event: the mapping of the OTLP export (src/otel/log-record-mapping.ts)
 * read in reverse. The README's "OTLP ingest" section documents each field. The result is checked
 * by the same schema as POST /v1/events.
 */

/** Attributes that become fields of the event, by event field; the rest go to metadata. */
const FIELDS = {
  id: 'event.id',
  type: 'event.type',
  category: 'event.category',
  result: 'audit.result',
  actorId: 'enduser.id',
  actorType: 'actor.type',
  actorEmail: 'user.email',
  actorName: 'user.name',
  projectId: 'project.id',
  projectName: 'project.name',
  targetType: 'target.type',
  targetId: 'target.id',
  targetName: 'target.name',
  ip: 'client.address',
  userAgent: 'user_agent.original',
  method: 'http.request.method',
  path: 'url.path',
  status: 'http.response.status_code',
  metadata: 'audit.metadata',
} as const;
const MAPPED = new Set<string>(Object.values(FIELDS));
/** Chain fields of the log the record was exported from: they describe that log, not this entry. */
const IGNORED = new Set(['audit.seq', 'audit.hash']);

/** OTLP severity numbers from which a record without `audit.result` counts as failed (ERROR and FATAL). */
const SEVERITY_ERROR = 17;

/** Why a record cannot be an event, or the event input (to be validated by the ingest schema). */
export type Mapped = { ok: true; event: Record<string, unknown> } | { ok: false; message: string };

/** Maps one record; only a missing type is refused here, every other check is the ingest schema's. */
export function recordToEvent(record: OtlpRecord): Mapped {
  const a = record.attributes;
  const text = (key: string) => {
    const value = a[key];
    return typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;
  };
  const type = record.eventName ?? text(FIELDS.type);
  if (!type) return { ok: false, message: 'has no event type: set the record\'s event name or the attribute event.type' };
  const service = record.resource['service.name'];
  const actorId = text(FIELDS.actorId);
  const actor = actorId
    ? compact({ id: actorId, type: text(FIELDS.actorType), email: text(FIELDS.actorEmail), name: text(FIELDS.actorName) })
    : { id: typeof service === 'string' && service !== '' ? service : 'otlp', type: 'system' };
  const projectId = text(FIELDS.projectId);
  const targetType = text(FIELDS.targetType);
  const targetId = text(FIELDS.targetId);
  const method = text(FIELDS.method);
  const path = text(FIELDS.path);
  const status = a[FIELDS.status];
  const occurred = record.timeUnixNano ?? record.observedTimeUnixNano;
  const event = compact({
    id: text(FIELDS.id),
    type,
    category: text(FIELDS.category),
    result: text(FIELDS.result) ?? ((record.severityNumber ?? 0) >= SEVERITY_ERROR ? 'failed' : undefined),
    // The export sends the action as the body, or the type when there is none.
    action: typeof record.body === 'string' && record.body !== type ? record.body : undefined,
    actor,
    project: projectId ? compact({ id: projectId, name: text(FIELDS.projectName) }) : undefined,
    target: targetType && targetId ? compact({ type: targetType, id: targetId, name: text(FIELDS.targetName) }) : undefined,
    ip: text(FIELDS.ip),
    user_agent: text(FIELDS.userAgent),
    request: method && path ? compact({ method, path, status: typeof status === 'number' ? status : undefined }) : undefined,
    metadata: metadataOf(record),
    occurred_at: occurred ? new Date(Number(BigInt(occurred) / 1_000_000n)).toISOString() : undefined,
  });
  return { ok: true, event };
}

/** `audit.metadata`'s members, then every attribute not mapped to a field, then the trace context; undefined when empty. */
function metadataOf(record: OtlpRecord): Record<string, Flat> | undefined {
  const given = record.attributes[FIELDS.metadata];
  const metadata: Record<string, Flat> = given && typeof given === 'object' && !Array.isArray(given) ? { ...given } : {};
  for (const [key, value] of Object.entries(record.attributes)) {
    if (!MAPPED.has(key) && !IGNORED.has(key)) metadata[key] = value;
  }
  if (record.traceId) metadata.trace_id = record.traceId;
  if (record.spanId) metadata.span_id = record.spanId;
  // A body that is not text (a map, a list) is kept whole.
  if (record.body !== undefined && typeof record.body !== 'string') metadata.body = record.body;
  return Object.keys(metadata).length > 0 ? metadata : undefined;
}

/** The object without its undefined members. */
function compact<T extends Record<string, unknown>>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
}

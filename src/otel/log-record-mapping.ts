import type { HrTime } from '@opentelemetry/api';
import type { AnyValueMap, LogAttributes } from '@opentelemetry/api-logs';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { Entry } from '../events/event.schemas.ts';
import { erasedPaths } from '../events/personal-fields.ts';

/** The instrumentation scope every exported record carries. */
export const SCOPE = { name: 'auditum', version: '1' };

/** OTLP severity by audit result: outcomes that need no attention are INFO, refusals WARN, failures ERROR. */
const SEVERITY: Record<Entry['result'], { number: number; text: string }> = {
  success: { number: 9, text: 'INFO' },
  approved: { number: 9, text: 'INFO' },
  allowed: { number: 9, text: 'INFO' },
  warning: { number: 13, text: 'WARN' },
  denied: { number: 13, text: 'WARN' },
  failed: { number: 17, text: 'ERROR' },
};

/** The resource of an organization's records: who produced them. */
export function orgResource(org: { id: string; slug: string }): Resource {
  return resourceFromAttributes({ 'service.name': 'auditum', 'auditum.org.id': org.id, 'auditum.org.slug': org.slug });
}

/** Milliseconds since the epoch as OpenTelemetry's [seconds, nanoseconds]. */
export function hrTimeFromMs(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  return [seconds, (ms - seconds * 1000) * 1_000_000];
}

/** One LogRecord per entry; the README's "OTLP export" section documents each field. */
export function entryToLogRecord(entry: Entry, resource: Resource): ReadableLogRecord {
  const attributes: LogAttributes = {
    'event.id': entry.id,
    'event.type': entry.type,
    'event.category': entry.category,
    'audit.result': entry.result,
    'audit.seq': entry.seq,
    'audit.hash': entry.hash,
    'enduser.id': entry.actor.id,
    'actor.type': entry.actor.type,
  };
  const optional: Record<string, string | number | undefined | null> = {
    'user.email': entry.actor.email,
    'project.id': entry.project?.id,
    'target.type': entry.target?.type,
    'target.id': entry.target?.id,
    'client.address': entry.ip,
    'user_agent.original': entry.user_agent,
    'http.request.method': entry.request?.method,
    'url.path': entry.request?.path,
    'http.response.status_code': entry.request?.status,
  };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined && value !== null) attributes[key] = value;
  // A kvlist keeps the metadata's structure, so receivers can query nested keys.
  if (entry.metadata) attributes['audit.metadata'] = entry.metadata as AnyValueMap;
  // Erased fields read "[erased]"; this says which they are.
  const erased = erasedPaths(entry.personal);
  if (erased.length > 0) attributes['audit.erased_fields'] = erased;
  const severity = SEVERITY[entry.result];
  return {
    hrTime: hrTimeFromMs(Date.parse(entry.occurred_at)),
    hrTimeObserved: hrTimeFromMs(Date.parse(entry.received_at)),
    severityNumber: severity.number,
    severityText: severity.text,
    eventName: entry.type,
    body: entry.action ?? entry.type,
    attributes,
    droppedAttributesCount: 0,
    resource,
    instrumentationScope: SCOPE,
  };
}

/** The record `POST /v1/otel-export/test` sends: marked in its name, body and attributes so nobody mistakes it for an audit entry. */
export function testLogRecord(resource: Resource, now = Date.now()): ReadableLogRecord {
  return {
    hrTime: hrTimeFromMs(now),
    hrTimeObserved: hrTimeFromMs(now),
    severityNumber: 9,
    severityText: 'INFO',
    eventName: 'auditum.otel_export.test',
    body: 'Auditum OTLP export test record (not an audit entry)',
    attributes: { 'auditum.test': true },
    droppedAttributesCount: 0,
    resource,
    instrumentationScope: SCOPE,
  };
}

import type { QueryValue } from './transport.ts';
import type { EventFilter } from './types.ts';

/** The filter as query parameters: repeatable ones as arrays, Dates kept for the URL builder, absent members left out. */
export function filterQuery(filter: EventFilter): Record<string, QueryValue> {
  const out: Record<string, QueryValue> = {};
  for (const [name, value] of Object.entries(filter)) if (value !== undefined) out[name] = value as QueryValue;
  return out;
}

/** The filter as a JSON body's members (exports): Dates as RFC 3339 strings. */
export function filterBody(filter: EventFilter): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(filter)) {
    if (value !== undefined) out[name] = value instanceof Date ? value.toISOString() : value;
  }
  return out;
}

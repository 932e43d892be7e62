import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import { ACTOR_TYPES, RESULTS, categorySchema, eventTypeSchema, rfc3339 } from '../events/event.schemas.ts';
import type { EventFilter } from '../events/event-query.ts';

/** How often one filter may be repeated: past this a query is refused rather than planned. */
export const MAX_REPEATS = 50;

/** A query parameter that may be given once or repeated (`?type=a&type=b`), at most MAX_REPEATS times. */
const repeatable = <T extends z.ZodType>(item: T) =>
  z
    .union([item, z.array(item)])
    .refine((v) => !Array.isArray(v) || v.length <= MAX_REPEATS, `may be given at most ${MAX_REPEATS} times`)
    .optional()
    .transform((v) => (v === undefined ? undefined : Array.isArray(v) ? v : [v]) as z.output<T>[] | undefined);

const typeOrPrefix = z.union([
  eventTypeSchema,
  z.string().regex(/^[a-z0-9_-]+(\.[a-z0-9_-]+)*\.\*$/, 'a prefix must look like "user.*"'),
]);

export const RANGES = ['24h', '7d', '30d', 'this_month'] as const;

/** The filters GET /v1/events accepts; exports and alert rules reuse them. */
export const eventFilterQuerySchema = z.strictObject({
  type: repeatable(typeOrPrefix).describe('exact type, or a prefix such as user.*; repeatable'),
  category: repeatable(categorySchema),
  actor: z.string().min(1).max(320).optional().describe('actor id or email, exact'),
  actor_type: z.enum(ACTOR_TYPES).optional(),
  target_type: z.string().min(1).max(128).optional(),
  target_id: z.string().min(1).max(256).optional(),
  project: z.string().min(1).max(256).optional().describe('project id'),
  result: repeatable(z.enum(RESULTS)),
  ip: z.string().min(1).max(64).optional(),
  q: z.string().max(256).optional().describe('free text: every word must appear (case-insensitive substring)'),
  from: rfc3339.optional().describe('inclusive lower bound on occurred_at'),
  to: rfc3339.optional().describe('exclusive upper bound on occurred_at'),
  range: z.enum(RANGES).optional().describe('24h, 7d, 30d or this_month (UTC); not with from/to'),
});

export type EventFilterQuery = z.infer<typeof eventFilterQuerySchema>;

const DAY = 24 * 60 * 60 * 1000;

/** Start of a named range relative to `now` (UTC). */
export function rangeStart(range: (typeof RANGES)[number], now: number): number {
  if (range === '24h') return now - DAY;
  if (range === '7d') return now - 7 * DAY;
  if (range === '30d') return now - 30 * DAY;
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** Converts validated query parameters into the store's filter; rejects contradictory bounds. */
export function toEventFilter(query: EventFilterQuery, now = Date.now()): EventFilter {
  if (query.range && (query.from || query.to)) {
    throw new ValidationError('give either range or from/to, not both', [{ field: 'range', message: 'not allowed with from/to' }]);
  }
  const from = query.range ? rangeStart(query.range, now) : query.from ? Date.parse(query.from) : undefined;
  const to = query.to ? Date.parse(query.to) : undefined;
  if (from !== undefined && to !== undefined && from >= to) {
    throw new ValidationError('from must be before to', [{ field: 'from', message: 'must be before to' }]);
  }
  const types = query.type?.filter((t) => !t.endsWith('.*'));
  const prefixes = query.type?.filter((t) => t.endsWith('.*')).map((t) => t.slice(0, -1));
  const q = query.q?.trim();
  return {
    types: types?.length ? types : undefined,
    typePrefixes: prefixes?.length ? prefixes : undefined,
    categories: query.category,
    actor: query.actor,
    actorType: query.actor_type,
    targetType: query.target_type,
    targetId: query.target_id,
    project: query.project,
    results: query.result,
    ip: query.ip,
    q: q ? q : undefined,
    from,
    to,
  };
}

import { z } from 'zod';
import { NotFoundError } from '../errors.ts';
import type { ViewRecorder } from './view-recorder.ts';
import type { AuthGuard } from '../http/auth.ts';
import { errorResponses, queryInt } from '../http/schemas.ts';
import type { App } from '../http/types.ts';
import { catalogueEntries } from '../events/catalogue.ts';
import { entrySchema } from '../events/event.schemas.ts';
import type { EventQuery } from '../events/event-query.ts';
import type { EventStore } from '../events/event-store.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { eventFilterQuerySchema, toEventFilter } from './event-filter.schemas.ts';
import { SUGGESTION_FIELDS, suggest } from './suggestions.ts';
import { HISTOGRAM_CAP, type HistogramService } from './histogram.ts';
import { histogramSchema } from './histogram.schema.ts';
import { eventsPageSchema, eventTypeSchema, suggestionSchema } from './query-view.schema.ts';

/** Counts stop here: the page says "10,000+" rather than scanning everything. */
export const COUNT_CAP = 10_000;

const listQuerySchema = eventFilterQuerySchema.extend({
  limit: queryInt(1, 500).default(50),
  cursor: z.string().max(200).optional(),
  include_count: z.enum(['true', 'false']).optional().describe('add a count of matches, capped at 10,000'),
});

/** GET /v1/events (filtered, newest first, keyset pages) and GET /v1/events/{id}. */
export function queryRoutes(app: App, deps: {
  store: EventStore;
  query: EventQuery;
  histogram: HistogramService;
  auth: AuthGuard;
  recordView?: ViewRecorder;
}) {
  app.get('/v1/events', {
    schema: {
      summary: 'List entries, newest first',
      tags: ['events'],
      querystring: listQuerySchema,
      response: {
        200: eventsPageSchema,
        ...errorResponses,
      },
    },
    onRequest: deps.auth.requireScope('events:read'),
    handler: async (request) => {
      const orgId = request.principal!.orgId;
      await deps.recordView?.(request.principal!, request);
      const { limit, cursor, include_count, ...filterQuery } = request.query;
      const filter = toEventFilter(filterQuery);
      // Side by side: on PostgreSQL each has a connection of its own, so the answer waits for the slower only.
      const [page, count] = await Promise.all([
        deps.query.list(orgId, filter, limit, cursor ? decodeCursor(cursor) : undefined),
        include_count === 'true' ? deps.query.count(orgId, filter, COUNT_CAP) : undefined,
      ]);
      return { events: page.entries, next_cursor: page.next ? encodeCursor(page.next) : null, ...(count ? { count } : {}) };
    },
  });

  app.get('/v1/events/histogram', {
    schema: {
      summary: 'Entries matching the filters per time bucket, by result (the activity chart)',
      description: 'About `buckets` buckets of a readable width (1 minute to 7 days) over the range (default: the last 24 hours), '
        + 'aligned to multiples of the width in UTC. `capped` when filters other than type, category and result made it count '
        + `entries one by one and there were more than ${HISTOGRAM_CAP.toLocaleString('en')}.`,
      tags: ['events'],
      querystring: eventFilterQuerySchema.extend({ buckets: queryInt(1, 500).default(60) }),
      response: { 200: histogramSchema, ...errorResponses },
    },
    onRequest: deps.auth.requireScope('events:read'),
    handler: async (request) => {
      const { buckets, ...filterQuery } = request.query;
      return deps.histogram.histogram(request.principal!.orgId, toEventFilter(filterQuery), buckets);
    },
  });

  app.get('/v1/event-types', {
    schema: {
      summary: 'Event types for filtering: the built-in catalogue plus every type this organization has used',
      tags: ['events'],
      response: { 200: z.object({ types: z.array(eventTypeSchema) }), ...errorResponses },
    },
    onRequest: deps.auth.requireScope('events:read'),
    handler: async (request) => {
      const byType = new Map(catalogueEntries().map((e) => [e.type, e]));
      for (const used of await deps.query.types(request.principal!.orgId)) byType.set(used.type, used);
      return { types: [...byType.values()].sort((a, b) => a.category.localeCompare(b.category) || a.type.localeCompare(b.type)) };
    },
  });

  app.get('/v1/actors', {
    schema: {
      summary: 'Actor emails seen in this organization, for suggestions',
      tags: ['events'],
      querystring: z.strictObject({ prefix: z.string().max(320).default(''), limit: queryInt(1, 50).default(10) }),
      response: { 200: z.object({ actors: z.array(z.string()) }), ...errorResponses },
    },
    onRequest: deps.auth.requireScope('events:read'),
    handler: async (request) => ({ actors: await deps.query.actorEmails(request.principal!.orgId, request.query.prefix.toLowerCase(), request.query.limit) }),
  });

  app.get('/v1/suggestions', {
    schema: {
      summary: 'Values for the actor, project and target filters, with their names, from recent entries',
      description: 'Distinct values among the newest entries whose value or name contains `q` (case-insensitive). '
        + '`value` is what GET /v1/events takes for the filter (targets as type:id), `label` what a person reads.',
      tags: ['events'],
      querystring: z.strictObject({
        field: z.enum(SUGGESTION_FIELDS),
        q: z.string().max(256).default(''),
        limit: queryInt(1, 50).default(10),
      }),
      response: {
        200: z.object({ suggestions: z.array(suggestionSchema) }),
        ...errorResponses,
      },
    },
    onRequest: deps.auth.requireScope('events:read'),
    handler: async (request) => {
      const { field, q, limit } = request.query;
      return { suggestions: await suggest(deps.query, request.principal!.orgId, field, q, limit) };
    },
  });

  app.get('/v1/events/:id', {
    schema: {
      summary: 'One entry with all its fields',
      tags: ['events'],
      params: z.object({ id: z.string().min(1).max(128) }),
      response: { 200: entrySchema, ...errorResponses },
    },
    onRequest: deps.auth.requireScope('events:read'),
    handler: async (request) => {
      const entry = await deps.store.get(request.principal!.orgId, request.params.id);
      if (!entry) throw new NotFoundError('event');
      return entry;
    },
  });
}

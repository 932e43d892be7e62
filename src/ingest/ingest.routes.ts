import type { AuthGuard } from '../http/auth.ts';
import type { App } from '../http/types.ts';
import { errorResponses } from '../http/schemas.ts';
import { ingestBodySchema, ingestResponseSchema } from '../events/event.schemas.ts';
import type { GroupCommit } from './group-commit.ts';

/**
 * POST /v1/events: one event or a batch of up to 1,000, all-or-nothing, acknowledged after commit
 * (group commit: concurrent requests share a transaction; 503 with Retry-After when too many wait).
 */
export function ingestRoutes(app: App, deps: { ingest: GroupCommit; auth: AuthGuard }) {
  app.post('/v1/events', {
    schema: {
      summary: 'Record one event or a batch of events',
      tags: ['events'],
      body: ingestBodySchema,
      response: { 201: ingestResponseSchema, ...errorResponses },
    },
    onRequest: deps.auth.requireScope('events:write'),
    handler: async (request, reply) => {
      const principal = request.principal!;
      const events = 'events' in request.body ? request.body.events : [request.body];
      const results = await deps.ingest.append(principal.orgId, events);
      return reply.status(201).send({ events: results });
    },
  });
}

import type { AuthGuard } from '../http/auth.ts';
import type { App } from '../http/types.ts';
import { errorResponses } from '../http/schemas.ts';
import { ingestBodySchema, ingestResponseSchema } from '../events/event.schemas.ts';
import type { EventStore } from '../events/event-store.ts';

/** POST /v1/events: one event or a batch of up to 1,000, all-or-nothing, acknowledged after commit. */
export function ingestRoutes(app: App, deps: { store: EventStore; auth: AuthGuard }) {
  app.post('/v1/events', {
    schema: {
      summary: 'Record one event or a batch of events',
      tags: ['events'],
      security: [{ bearer: [] }],
      body: ingestBodySchema,
      response: { 201: ingestResponseSchema, ...errorResponses },
    },
    onRequest: deps.auth.requireScope('events:write'),
    handler: async (request, reply) => {
      const principal = request.principal!;
      const events = 'events' in request.body ? request.body.events : [request.body];
      const results = await deps.store.append(principal.orgId, events);
      return reply.status(201).send({ events: results });
    },
  });
}

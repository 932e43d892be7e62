import { z } from 'zod';
import type { AuthGuard } from '../http/auth.ts';
import { errorResponses, errorSchema } from '../http/schemas.ts';
import type { App } from '../http/types.ts';
import { erasureRequestSchema, erasureViewSchema } from './erasure.schemas.ts';
import type { ErasureService } from './erasure.service.ts';

const idParams = z.object({ id: z.uuid({ message: 'must be an erasure id (a UUID)' }) });

/** POST/GET /v1/erasures, GET /v1/erasures/{id} (owners only). */
export function erasureRoutes(app: App, deps: { erasures: ErasureService; auth: AuthGuard }) {
  const ownersOnly = deps.auth.require('owner');
  const common = { tags: ['erasure'] };

  app.post('/v1/erasures', {
    schema: {
      ...common,
      summary: "Erase a person's personal data from the log (or, with dry_run, count what would be erased)",
      description: 'Runs as a background job; GET /v1/erasures/{id} shows its progress and result. Recorded.',
      body: erasureRequestSchema,
      response: {
        202: erasureViewSchema,
        ...errorResponses,
        409: errorSchema.describe('legal_hold: the organization is under legal hold'),
      },
    },
    onRequest: ownersOnly,
    handler: async (request, reply) => {
      const principal = request.principal!;
      const view = await deps.erasures.create(principal.orgId, principal.actor, request.body, request);
      return reply.status(202).header('location', `/v1/erasures/${view.id}`).send(view);
    },
  });

  app.get('/v1/erasures', {
    schema: {
      ...common,
      summary: "The organization's erasures, newest first (up to 100)",
      response: { 200: z.object({ erasures: z.array(erasureViewSchema) }), ...errorResponses },
    },
    onRequest: ownersOnly,
    handler: async (request) => ({ erasures: await deps.erasures.list(request.principal!.orgId) }),
  });

  app.get('/v1/erasures/:id', {
    schema: {
      ...common,
      summary: 'One erasure: status, progress, what it found or erased',
      params: idParams,
      response: { 200: erasureViewSchema, ...errorResponses },
    },
    onRequest: ownersOnly,
    handler: async (request) => deps.erasures.get(request.principal!.orgId, request.params.id),
  });
}

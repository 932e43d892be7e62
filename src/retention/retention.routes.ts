import { z } from 'zod';
import type { AuthGuard } from '../http/auth.ts';
import { errorResponses } from '../http/schemas.ts';
import type { App } from '../http/types.ts';
import type { RetentionService } from './retention.service.ts';
import { retentionViewSchema } from './retention-view.schema.ts';

const updateSchema = z
  .object({
    retention_days: z.number().int().min(1).max(36500).nullable().describe('days to keep entries; null keeps them forever'),
    legal_hold: z.boolean().optional().describe('while true, nothing is purged'),
  })
  .strict();

/** GET/PUT /v1/settings/retention for the caller's organization. */
export function retentionRoutes(app: App, deps: { retention: RetentionService; auth: AuthGuard }) {
  app.get('/v1/settings/retention', {
    schema: {
      summary: 'Retention period and legal hold',
      tags: ['settings'],
      response: { 200: retentionViewSchema, ...errorResponses },
    },
    onRequest: deps.auth.require('events:read'),
    handler: async (request) => deps.retention.status(request.principal!.orgId),
  });

  app.put('/v1/settings/retention', {
    schema: {
      summary: 'Change the retention period or legal hold',
      tags: ['settings'],
      body: updateSchema,
      response: { 200: retentionViewSchema, ...errorResponses },
    },
    // Only owners decide how long the organization's evidence is kept.
    onRequest: deps.auth.require('owner'),
    handler: async (request) => {
      const principal = request.principal!;
      await deps.retention.update(principal.orgId, request.body, principal.actor, request);
      return deps.retention.status(principal.orgId);
    },
  });
}

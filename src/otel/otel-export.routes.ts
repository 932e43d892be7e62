import type { AuthGuard } from '../http/auth.ts';
import { errorResponses } from '../http/schemas.ts';
import type { App } from '../http/types.ts';
import { otelExportViewSchema, otelTestResultViewSchema } from './otel-export-view.schema.ts';
import { putOtelExportSchema, testOtelExportSchema } from './otel-export.schemas.ts';
import type { OtelExportService } from './otel-export.service.ts';

/** GET/PUT /v1/otel-export and POST /v1/otel-export/test. */
export function otelExportRoutes(app: App, deps: { otelExport: OtelExportService; auth: AuthGuard }) {
  const adminOnly = deps.auth.require('settings');
  const common = { tags: ['otel-export'] };

  app.get('/v1/otel-export', {
    schema: { ...common, summary: 'OTLP log export settings and delivery status', response: { 200: otelExportViewSchema, ...errorResponses } },
    onRequest: adminOnly,
    handler: async (request) => deps.otelExport.get(request.principal!.orgId),
  });

  app.put('/v1/otel-export', {
    schema: {
      ...common,
      summary: 'Configure OTLP log export (one destination per organization)',
      body: putOtelExportSchema,
      response: { 200: otelExportViewSchema, ...errorResponses },
    },
    onRequest: adminOnly,
    handler: async (request) => deps.otelExport.put(request.principal!.orgId, request.body, request.principal!.actor, request),
  });

  app.post('/v1/otel-export/test', {
    schema: {
      ...common,
      summary: 'Send one marked test record to the configured destination, or to the one in the body',
      body: testOtelExportSchema.nullish(),
      response: { 200: otelTestResultViewSchema, ...errorResponses },
    },
    onRequest: adminOnly,
    handler: async (request) => deps.otelExport.sendTest(request.principal!.orgId, request.body ?? undefined),
  });
}

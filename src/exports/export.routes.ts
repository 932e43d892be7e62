import { z } from 'zod';
import type { AuthGuard } from '../http/auth.ts';
import { errorResponses, errorSchema } from '../http/schemas.ts';
import type { App } from '../http/types.ts';
import { createExportBodySchema, exportIdParamsSchema, exportViewSchema } from './export.schemas.ts';
import type { ExportService } from './export.service.ts';

/** POST/GET /v1/exports, GET/DELETE /v1/exports/{id}, GET /v1/exports/{id}/download (owners and admins). */
export function exportRoutes(app: App, deps: { exports: ExportService; auth: AuthGuard }) {
  const canExport = deps.auth.require('export');
  const common = { tags: ['exports'] };

  app.post('/v1/exports', {
    schema: {
      ...common,
      summary: 'Queue an export of the audit log (CSV, Excel or JSONL) with any filter GET /v1/events accepts',
      body: createExportBodySchema,
      response: { 202: exportViewSchema, ...errorResponses },
    },
    onRequest: canExport,
    handler: async (request, reply) => {
      const principal = request.principal!;
      const view = await deps.exports.create(principal.orgId, principal.actor, request.body, request);
      return reply.status(202).header('location', `/v1/exports/${view.id}`).send(view);
    },
  });

  app.get('/v1/exports', {
    schema: { ...common, summary: "The organization's exports, newest first (up to 100)", response: { 200: z.object({ exports: z.array(exportViewSchema) }), ...errorResponses } },
    onRequest: canExport,
    handler: async (request) => ({ exports: await deps.exports.list(request.principal!.orgId) }),
  });

  app.get('/v1/exports/:id', {
    schema: { ...common, summary: 'One export: status, rows written, progress, size, error', params: exportIdParamsSchema, response: { 200: exportViewSchema, ...errorResponses } },
    onRequest: canExport,
    handler: async (request) => deps.exports.get(request.principal!.orgId, request.params.id),
  });

  app.get('/v1/exports/:id/download', {
    // A HEAD would open the file and record a download that never happened.
    exposeHeadRoute: false,
    schema: {
      ...common,
      summary: 'Download a completed export (recorded as export.downloaded)',
      params: exportIdParamsSchema,
      response: { 200: z.unknown().describe('The file (text/csv, xlsx or application/x-ndjson), as an attachment'), ...errorResponses, 409: errorSchema.describe('The export is not completed'), 410: errorSchema.describe('The export expired and its file was deleted') },
    },
    onRequest: canExport,
    handler: async (request, reply) => {
      const principal = request.principal!;
      const file = await deps.exports.download(principal.orgId, request.params.id, principal.actor, request);
      return reply
        .header('content-type', file.contentType)
        .header('content-length', String(file.size))
        .header('content-disposition', file.contentDisposition)
        .header('cache-control', 'private, no-store')
        .header('x-content-type-options', 'nosniff')
        .send(file.stream);
    },
  });

  app.delete('/v1/exports/:id', {
    schema: {
      ...common,
      summary: 'Cancel a queued or running export (200, it stays listed as cancelled), or remove a finished one and its file (204)',
      params: exportIdParamsSchema,
      response: { 200: exportViewSchema, 204: z.null().describe('Removed'), ...errorResponses },
    },
    onRequest: canExport,
    handler: async (request, reply) => {
      const result = await deps.exports.remove(request.principal!.orgId, request.params.id);
      if ('cancelled' in result) return reply.status(200).send(result.cancelled);
      return reply.status(204).send(null);
    },
  });
}

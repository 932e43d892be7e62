import type { AuthGuard } from '../http/auth.ts';
import { errorResponses } from '../http/schemas.ts';
import type { App } from '../http/types.ts';
import type { VerifyReport } from './chain-verifier.ts';
import { verifyReportViewSchema } from './integrity-view.schema.ts';

/** GET /v1/integrity/verify: walks the caller's organization's chain (and its latest checkpoint). */
export function integrityRoutes(app: App, deps: { integrity: { verify(orgId: string): Promise<VerifyReport> }; auth: AuthGuard }) {
  app.get('/v1/integrity/verify', {
    schema: {
      summary: "Verify the organization's hash chain",
      tags: ['integrity'],
      response: { 200: verifyReportViewSchema, ...errorResponses },
    },
    onRequest: deps.auth.requireScope('events:read'),
    handler: async (request) => deps.integrity.verify(request.principal!.orgId),
  });
}

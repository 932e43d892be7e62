import { z } from 'zod';
import type { AuthGuard } from '../http/auth.ts';
import { errorResponses } from '../http/schemas.ts';
import type { App } from '../http/types.ts';
import type { VerifyReport } from './chain-verifier.ts';

/** GET /v1/integrity/verify: walks the caller's organization's chain (and its latest checkpoint). */
export function integrityRoutes(app: App, deps: { integrity: { verify(orgId: string): Promise<VerifyReport> }; auth: AuthGuard }) {
  app.get('/v1/integrity/verify', {
    schema: {
      summary: "Verify the organization's hash chain",
      tags: ['integrity'],
      security: [{ bearer: [] }],
      response: {
        200: z.object({ ok: z.boolean(), checked: z.number().int(), first_bad_seq: z.number().int().nullable(), reason: z.string().nullable() }),
        ...errorResponses,
      },
    },
    onRequest: deps.auth.requireScope('events:read'),
    handler: async (request) => deps.integrity.verify(request.principal!.orgId),
  });
}

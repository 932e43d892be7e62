import { z } from 'zod';
import type { SelfAudit } from '../access/self-audit.ts';
import { inTransaction, type Executor } from '../db/unit-of-work.ts';
import { singleLineText } from '../events/event.schemas.ts';
import type { AuthGuard } from '../http/auth.ts';
import { errorResponses } from '../http/schemas.ts';
import type { App } from '../http/types.ts';
import type { OrgService } from './org.service.ts';

const orgSchema = z.object({ id: z.string(), slug: z.string(), name: z.string(), created_at: z.string() });

/** The organization's own settings (its display name; later issues add more). */
export function settingsRoutes(app: App, deps: { db: Executor; auth: AuthGuard; orgs: OrgService; selfAudit: SelfAudit }) {
  app.get('/v1/settings', {
    schema: { summary: "The organization's settings", tags: ['settings'], response: { 200: z.object({ org: orgSchema }), ...errorResponses } },
    onRequest: deps.auth.require('settings'),
    handler: async (request) => ({ org: await deps.orgs.byId(request.principal!.orgId) }),
  });

  app.patch('/v1/settings', {
    schema: {
      summary: "Change the organization's settings",
      tags: ['settings'],
      body: z.strictObject({ name: z.string().trim().pipe(singleLineText(200)) }),
      response: { 200: z.object({ org: orgSchema }), ...errorResponses },
    },
    onRequest: deps.auth.require('settings'),
    handler: async (request) => {
      const { orgId, actor } = request.principal!;
      return inTransaction(deps.db, async (tx) => {
        const before = await deps.orgs.byId(orgId, tx);
        const org = await deps.orgs.rename(orgId, request.body.name, tx);
        const event = {
          type: 'settings.updated',
          action: 'Renamed the organization',
          target: { type: 'organization', id: org.id, name: org.name },
          metadata: { name: { from: before.name, to: org.name }, changes: { name: { from: before.name, to: org.name } } },
        };
        await deps.selfAudit(orgId, actor, event, request, tx);
        return { org };
      });
    },
  });
}

import { z } from 'zod';
import type { SelfAudit } from '../access/self-audit.ts';
import { inTransaction, type Executor } from '../db/unit-of-work.ts';
import { singleLineText } from '../events/event.schemas.ts';
import type { EventStore } from '../events/event-store.ts';
import { FIXED_PERSONAL_PATHS, personalPathsSchema } from '../events/personal-fields.ts';
import type { AuthGuard } from '../http/auth.ts';
import { errorResponses } from '../http/schemas.ts';
import type { App } from '../http/types.ts';
import type { OrgService } from './org.service.ts';

const orgSchema = z.object({ id: z.string(), slug: z.string(), name: z.string(), created_at: z.string() });
const settingsSchema = z.object({
  org: orgSchema,
  personal_fields: z.array(z.string()).describe("the organization's own personal field paths (metadata, request body or response)"),
  fixed_personal_fields: z.array(z.string()).describe('the fields every entry treats as personal'),
});

interface SettingsDeps {
  db: Executor;
  auth: AuthGuard;
  orgs: OrgService;
  store: EventStore;
  selfAudit: SelfAudit;
}

/** The organization's own settings: its display name and the personal fields its entries commit to (erasure). */
export function settingsRoutes(app: App, deps: SettingsDeps) {
  const view = async (orgId: string, tx: Executor = deps.db) => ({
    org: await deps.orgs.byId(orgId, tx),
    personal_fields: await deps.store.personalFields(orgId, tx),
    fixed_personal_fields: [...FIXED_PERSONAL_PATHS],
  });

  app.get('/v1/settings', {
    schema: { summary: "The organization's settings", tags: ['settings'], response: { 200: settingsSchema, ...errorResponses } },
    onRequest: deps.auth.require('settings'),
    handler: async (request) => view(request.principal!.orgId),
  });

  app.patch('/v1/settings', {
    schema: {
      summary: "Change the organization's settings",
      description: 'personal_fields applies to entries written after the change; earlier entries keep what they committed to.',
      tags: ['settings'],
      body: z
        .strictObject({
          name: z.string().trim().pipe(singleLineText(200)).optional(),
          personal_fields: personalPathsSchema.optional(),
        })
        .refine((body) => body.name !== undefined || body.personal_fields !== undefined, 'give name, personal_fields or both'),
      response: { 200: settingsSchema, ...errorResponses },
    },
    onRequest: deps.auth.require('settings'),
    handler: async (request) => {
      const { orgId, actor } = request.principal!;
      const { name, personal_fields: paths } = request.body;
      return inTransaction(deps.db, async (tx) => {
        const before = await view(orgId, tx);
        const changes: Record<string, { from: unknown; to: unknown }> = {};
        const done: string[] = [];
        if (name !== undefined && name !== before.org.name) {
          await deps.orgs.rename(orgId, name, tx);
          changes.name = { from: before.org.name, to: name };
          done.push('Renamed the organization');
        }
        const unique = paths && [...new Set(paths)];
        if (unique && JSON.stringify(unique) !== JSON.stringify(before.personal_fields)) {
          await deps.store.setPersonalFields(orgId, unique, tx);
          changes.personal_fields = { from: before.personal_fields, to: unique };
          done.push('Changed the personal fields');
        }
        const after = await view(orgId, tx);
        if (done.length === 0) return after;
        const event = {
          type: 'settings.updated',
          action: done.join('; '),
          target: { type: 'organization', id: orgId, name: after.org.name },
          metadata: { ...(changes.name ? { name: changes.name } : {}), changes },
        };
        await deps.selfAudit(orgId, actor, event, request, tx);
        return after;
      });
    },
  });
}

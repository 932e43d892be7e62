import { z } from 'zod';
import { inTransaction, type Executor } from '../db/unit-of-work.ts';
import { accountEmail } from '../events/event.schemas.ts';
import { ForbiddenError, NotFoundError } from '../errors.ts';
import type { AuthGuard } from '../http/auth.ts';
import { errorResponses } from '../http/schemas.ts';
import type { App } from '../http/types.ts';
import type { InviteService } from './invite.service.ts';
import type { SelfAudit } from './self-audit.ts';
import type { SessionService } from './session.service.ts';
import type { UserService } from './user.service.ts';
import { can } from './principal.ts';
import {
  createdInviteViewSchema,
  inviteListViewSchema,
  inviteLookupViewSchema,
  inviteViewSchema,
  MEMBER_STATUSES,
  memberListViewSchema,
  memberViewSchema,
  ROLES,
} from './members-view.schema.ts';

const userParams = z.object({ userId: z.string().uuid() });

export interface MembersRouteDeps {
  db: Executor;
  auth: AuthGuard;
  users: UserService;
  sessions: SessionService;
  invites: InviteService;
  selfAudit: SelfAudit;
  inviteUrl: (token: string) => string;
  logInviteLinks: boolean;
}

/** Members and invitations of the caller's organization; each change commits with its audit entry. */
export function membersRoutes(app: App, deps: MembersRouteDeps) {
  const { db, auth, users, sessions, invites, selfAudit } = deps;
  const tags = ['members'];

  app.get('/v1/members', {
    schema: { summary: 'List members', tags, response: { 200: memberListViewSchema, ...errorResponses } },
    onRequest: auth.require('members'),
    handler: async (request) => ({ members: await users.members(request.principal!.orgId) }),
  });

  app.patch('/v1/members/:userId', {
    schema: {
      summary: "Change a member's role (owners only) or deactivate/reactivate them",
      tags,
      params: userParams,
      body: z
        .strictObject({ role: z.enum(ROLES).optional(), status: z.enum(MEMBER_STATUSES).optional() })
        .refine((b) => b.role || b.status, 'give role or status'),
      response: { 200: memberViewSchema, ...errorResponses },
    },
    onRequest: auth.require('members'),
    handler: async (request) => {
      const principal = request.principal!;
      const { orgId, actor } = principal;
      const { userId } = request.params;
      const { role, status } = request.body;
      return inTransaction(db, async (tx) => {
        const member = (await users.members(orgId, tx)).find((m) => m.user_id === userId);
        const target = { type: 'user', id: userId, ...(member ? { name: member.email } : {}) };
        if (role && role !== member?.role) {
          if (!can(principal, 'owner')) throw new ForbiddenError('only organization owners can change roles');
          const change = await users.changeRole(orgId, userId, role, tx);
          const event = {
            type: 'user.role_changed',
            action: `Changed role from ${change.from} to ${change.to}`,
            target,
            metadata: { from: change.from, to: change.to, new_role: change.to, changes: { role: { from: change.from, to: change.to } } },
          };
          await selfAudit(orgId, actor, event, request, tx);
        }
        if (status && status !== member?.status) {
          await users.setStatus(orgId, userId, status, principal.role, tx);
          if (status === 'deactivated') {
            await sessions.revokeAll(orgId, userId, tx);
            await selfAudit(orgId, actor, { type: 'user.deactivated', action: 'Deactivated a member', target }, request, tx);
          } else {
            const event = { type: 'user.updated', action: 'Reactivated a member', target: { type: 'user', id: userId } };
            await selfAudit(orgId, actor, event, request, tx);
          }
        }
        const updated = (await users.members(orgId, tx)).find((m) => m.user_id === userId);
        if (!updated) throw new ForbiddenError('member not found');
        return updated;
      });
    },
  });

  app.delete('/v1/members/:userId', {
    schema: { summary: 'Remove a member from the organization', tags, params: userParams, response: { 204: z.null(), ...errorResponses } },
    onRequest: auth.require('members'),
    handler: async (request, reply) => {
      const { orgId, actor, role } = request.principal!;
      const { userId } = request.params;
      await inTransaction(db, async (tx) => {
        await users.remove(orgId, userId, role, tx);
        await sessions.revokeAll(orgId, userId, tx);
        const event = { type: 'member.removed', action: 'Removed a member', target: { type: 'user', id: userId } };
        await selfAudit(orgId, actor, event, request, tx);
      });
      return reply.status(204).send(null);
    },
  });

  app.get('/v1/invites', {
    schema: { summary: 'List invitations', tags, response: { 200: inviteListViewSchema, ...errorResponses } },
    onRequest: auth.require('members'),
    handler: async (request) => ({ invites: await invites.list(request.principal!.orgId) }),
  });

  app.post('/v1/invites', {
    schema: {
      summary: 'Invite someone by email; the single-use link is returned once',
      tags,
      body: z.strictObject({ email: accountEmail, role: z.enum(ROLES).default('member') }),
      response: { 201: createdInviteViewSchema, ...errorResponses },
    },
    onRequest: auth.require('members'),
    handler: async (request, reply) => {
      const principal = request.principal!;
      const { orgId, actor } = principal;
      const { email, role } = request.body;
      if (role === 'owner' && !can(principal, 'owner')) throw new ForbiddenError('only organization owners can invite owners');
      const { invite, token } = await inTransaction(db, async (tx) => {
        const created = await invites.create(orgId, email, role, actor.id, tx);
        const { invite } = created;
        const event = {
          type: 'user.invited',
          action: `Invited ${invite.email} as ${invite.role}`,
          target: { type: 'invite', id: invite.id, name: invite.email },
          metadata: { role: invite.role },
        };
        await selfAudit(orgId, actor, event, request, tx);
        return created;
      });
      const url = deps.inviteUrl(token);
      // No mail transport is assumed: the inviter gets the link; the log gets it only if configured.
      request.log.info({ invite_id: invite.id, email: invite.email, ...(deps.logInviteLinks ? { url } : {}) }, 'invitation created');
      return reply.status(201).send({ invite, url });
    },
  });

  app.post('/v1/invites/lookup', {
    schema: {
      summary: 'What an invitation link is for (organization, email, role, status), before it is accepted',
      description: 'The token is the secret in the link; it is sent in the body so it stays out of request logs.',
      tags,
      body: z.strictObject({ token: z.string().min(10).max(200) }),
      response: { 200: inviteLookupViewSchema, ...errorResponses },
    },
    handler: async (request) => {
      const found = await invites.lookup(request.body.token);
      if (!found) throw new NotFoundError('invitation');
      return found;
    },
  });

  app.delete('/v1/invites/:id', {
    schema: {
      summary: 'Revoke a pending invitation',
      tags,
      params: z.object({ id: z.string().uuid() }),
      response: { 200: inviteViewSchema, ...errorResponses },
    },
    onRequest: auth.require('members'),
    handler: async (request) => {
      const { orgId, actor } = request.principal!;
      return inTransaction(db, async (tx) => {
        const invite = await invites.revoke(orgId, request.params.id, tx);
        const event = {
          type: 'invite.revoked',
          action: `Revoked the invitation of ${invite.email}`,
          target: { type: 'invite', id: invite.id, name: invite.email },
        };
        await selfAudit(orgId, actor, event, request, tx);
        return invite;
      });
    },
  });
}

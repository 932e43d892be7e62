import { z } from 'zod';
import { ForbiddenError } from '../errors.ts';
import type { AuthGuard } from '../http/auth.ts';
import { errorResponses } from '../http/schemas.ts';
import type { App } from '../http/types.ts';
import type { InviteService } from './invite.service.ts';
import type { SelfAudit } from './self-audit.ts';
import type { SessionService } from './session.service.ts';
import { ROLES, type UserService } from './user.service.ts';
import { can } from './principal.ts';

const memberSchema = z.object({ user_id: z.string(), email: z.string(), name: z.string().nullable(), role: z.enum(ROLES), status: z.enum(['active', 'deactivated']), joined_at: z.string() });
const inviteSchema = z.object({ id: z.string(), email: z.string(), role: z.enum(ROLES), status: z.string(), created_at: z.string(), expires_at: z.string() });
const userParams = z.object({ userId: z.string().uuid() });

/** Members and invitations of the caller's organization. */
export function membersRoutes(app: App, deps: { auth: AuthGuard; users: UserService; sessions: SessionService; invites: InviteService; selfAudit: SelfAudit; inviteUrl: (token: string) => string; logInviteLinks: boolean }) {
  const { auth, users, sessions, invites, selfAudit } = deps;
  const tags = ['members'];

  app.get('/v1/members', {
    schema: { summary: 'List members', tags, response: { 200: z.object({ members: z.array(memberSchema) }), ...errorResponses } },
    onRequest: auth.require('members'),
    handler: async (request) => ({ members: await users.members(request.principal!.orgId) }),
  });

  app.patch('/v1/members/:userId', {
    schema: {
      summary: "Change a member's role (owners only) or deactivate/reactivate them",
      tags,
      params: userParams,
      body: z.strictObject({ role: z.enum(ROLES).optional(), status: z.enum(['active', 'deactivated']).optional() }).refine((b) => b.role || b.status, 'give role or status'),
      response: { 200: memberSchema, ...errorResponses },
    },
    onRequest: auth.require('members'),
    handler: async (request) => {
      const principal = request.principal!;
      const { userId } = request.params;
      const member = (await users.members(principal.orgId)).find((m) => m.user_id === userId);
      if (request.body.role && request.body.role !== member?.role) {
        if (!can(principal, 'owner')) throw new ForbiddenError('only organization owners can change roles');
        const change = await users.changeRole(principal.orgId, userId, request.body.role);
        await selfAudit(principal.orgId, principal.actor, { type: 'user.role_changed', action: `Changed role from ${change.from} to ${change.to}`, target: { type: 'user', id: userId, ...(member ? { name: member.email } : {}) }, metadata: { from: change.from, to: change.to, new_role: change.to } }, request);
      }
      if (request.body.status && request.body.status !== member?.status) {
        await users.setStatus(principal.orgId, userId, request.body.status, principal.role);
        if (request.body.status === 'deactivated') {
          await sessions.revokeAll(principal.orgId, userId);
          await selfAudit(principal.orgId, principal.actor, { type: 'user.deactivated', action: 'Deactivated a member', target: { type: 'user', id: userId, ...(member ? { name: member.email } : {}) } }, request);
        } else {
          await selfAudit(principal.orgId, principal.actor, { type: 'user.updated', action: 'Reactivated a member', target: { type: 'user', id: userId } }, request);
        }
      }
      const updated = (await users.members(principal.orgId)).find((m) => m.user_id === userId);
      if (!updated) throw new ForbiddenError('member not found');
      return updated;
    },
  });

  app.delete('/v1/members/:userId', {
    schema: { summary: 'Remove a member from the organization', tags, params: userParams, response: { 204: z.null(), ...errorResponses } },
    onRequest: auth.require('members'),
    handler: async (request, reply) => {
      const principal = request.principal!;
      await users.remove(principal.orgId, request.params.userId, principal.role);
      await sessions.revokeAll(principal.orgId, request.params.userId);
      await selfAudit(principal.orgId, principal.actor, { type: 'member.removed', action: 'Removed a member', target: { type: 'user', id: request.params.userId } }, request);
      return reply.status(204).send(null);
    },
  });

  app.get('/v1/invites', {
    schema: { summary: 'List invitations', tags, response: { 200: z.object({ invites: z.array(inviteSchema) }), ...errorResponses } },
    onRequest: auth.require('members'),
    handler: async (request) => ({ invites: await invites.list(request.principal!.orgId) }),
  });

  app.post('/v1/invites', {
    schema: {
      summary: 'Invite someone by email; the single-use link is returned once',
      tags,
      body: z.strictObject({ email: z.email().max(320), role: z.enum(ROLES).default('member') }),
      response: { 201: z.object({ invite: inviteSchema, url: z.string() }), ...errorResponses },
    },
    onRequest: auth.require('members'),
    handler: async (request, reply) => {
      const principal = request.principal!;
      if (request.body.role === 'owner' && !can(principal, 'owner')) throw new ForbiddenError('only organization owners can invite owners');
      const { invite, token } = await invites.create(principal.orgId, request.body.email, request.body.role, principal.actor.id);
      const url = deps.inviteUrl(token);
      // No mail transport is assumed: the inviter gets the link; the log gets it only if configured.
      request.log.info({ invite_id: invite.id, email: invite.email, ...(deps.logInviteLinks ? { url } : {}) }, 'invitation created');
      await selfAudit(principal.orgId, principal.actor, { type: 'user.invited', action: `Invited ${invite.email} as ${invite.role}`, target: { type: 'invite', id: invite.id, name: invite.email }, metadata: { role: invite.role } }, request);
      return reply.status(201).send({ invite, url });
    },
  });

  app.delete('/v1/invites/:id', {
    schema: { summary: 'Revoke a pending invitation', tags, params: z.object({ id: z.string().uuid() }), response: { 200: inviteSchema, ...errorResponses } },
    onRequest: auth.require('members'),
    handler: async (request) => {
      const principal = request.principal!;
      const invite = await invites.revoke(principal.orgId, request.params.id);
      await selfAudit(principal.orgId, principal.actor, { type: 'invite.revoked', action: `Revoked the invitation of ${invite.email}`, target: { type: 'invite', id: invite.id, name: invite.email } }, request);
      return invite;
    },
  });
}

import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { inTransaction, type Executor } from '../db/unit-of-work.ts';
import { accountEmail, singleLineText } from '../events/event.schemas.ts';
import { AppError } from '../errors.ts';
import { SESSION_COOKIE, type AuthGuard } from '../http/auth.ts';
import { errorResponses } from '../http/schemas.ts';
import type { App } from '../http/types.ts';
import type { OrgService } from '../orgs/org.service.ts';
import { slugSchema } from '../orgs/org.service.ts';
import type { BlockedSignIns } from './blocked-sign-ins.ts';
import { DEVICE_COOKIE } from './device-cookie.ts';
import type { InviteService } from './invite.service.ts';
import { passwordSchema } from './password.ts';
import type { SelfAudit } from './self-audit.ts';
import { csrfTokenFor, type LoginFailure, type SessionService } from './session.service.ts';
import type { SetupService } from './setup.service.ts';
import type { UserService } from './user.service.ts';
import { meViewSchema, sessionListViewSchema, setupStatusViewSchema } from './auth-view.schema.ts';

export interface AuthRouteDeps {
  db: Executor;
  auth: AuthGuard;
  sessions: SessionService;
  users: UserService;
  invites: InviteService;
  orgs: OrgService;
  setup: SetupService;
  selfAudit: SelfAudit;
  blockedSignIns: BlockedSignIns;
  sessionMaxAgeMs: number;
  /** Lifetime of the device cookie. */
  deviceMaxAgeMs: number;
  /** Mark the session cookie Secure even on plain http: Auditum is reached over https through a proxy. */
  secureCookie?: boolean;
}

const personName = z.string().trim().pipe(singleLineText(200));

/** Sign-in, sign-out, the current user, their sessions, first-run setup and invite acceptance. */
export function authRoutes(app: App, deps: AuthRouteDeps) {
  const { auth, sessions, users, orgs, selfAudit } = deps;

  function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string) {
    reply.setCookie(SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'lax',
      secure: deps.secureCookie === true || request.protocol === 'https',
      path: '/',
      maxAge: Math.floor(deps.sessionMaxAgeMs / 1000),
    });
  }

  async function me(userId: string, orgId: string, csrf: string) {
    const user = (await users.byId(userId))!;
    const memberships = await users.orgsOf(userId);
    const org = await orgs.byId(orgId);
    const role = memberships.find((m) => m.id === orgId)!.role;
    return { user: { id: user.id, email: user.email, name: user.name }, org: { id: org.id, slug: org.slug, name: org.name }, role, orgs: memberships, csrf_token: csrf };
  }

  /** Marks this browser as one the user signs in from (see device-cookie.ts); sent only to the auth routes. */
  function setDeviceCookie(request: FastifyRequest, reply: FastifyReply, value: string) {
    reply.setCookie(DEVICE_COOKIE, value, {
      httpOnly: true,
      sameSite: 'strict',
      secure: deps.secureCookie === true || request.protocol === 'https',
      path: '/v1/auth',
      maxAge: Math.floor(deps.deviceMaxAgeMs / 1000),
    });
  }

  /**
   * Records a failed sign-in. A refused one (rate limited) is recorded on its own only when it starts a
   * streak; the ones after it are counted into one summary entry per account and period.
   */
  async function recordFailure(request: FastifyRequest, reply: FastifyReply, email: string, failure: LoginFailure) {
    const account = email.trim().toLowerCase();
    if (failure.reason === 'rate_limited') {
      reply.header('retry-after', String(Math.ceil((failure.retryAfterMs ?? 1000) / 1000)));
      const { userId, orgIds } = failure;
      if (!deps.blockedSignIns.note({ email: account, userId, orgIds, ip: request.ip, at: Date.now() })) return;
    }
    const actor = { id: failure.userId!, type: 'user' as const, email: account };
    const metadata = { reason: failure.reason };
    const event = { type: 'login.failure', action: 'Failed sign-in', result: 'failed' as const, metadata };
    for (const orgId of failure.orgIds) await selfAudit(orgId, actor, event, request);
    request.log.warn({ reason: failure.reason, ip: request.ip }, 'sign-in failed');
  }

  /** Opens a session, sets the session and device cookies and records login.success. */
  async function signIn(request: FastifyRequest, reply: FastifyReply, email: string, password: string, org?: string) {
    const input = {
      email,
      password,
      org,
      ip: request.ip,
      userAgent: request.headers['user-agent'],
      device: request.cookies[DEVICE_COOKIE],
    };
    const session = await sessions.login(
      input,
      (failure) => recordFailure(request, reply, email, failure),
      async (opened, tx) => {
        const actor = { id: opened.userId, type: 'user' as const, email: opened.email };
        const event = { type: 'login.success', action: 'Signed in', metadata: { session_id: opened.sessionId } };
        await selfAudit(opened.orgId, actor, event, request, tx);
      },
    );
    setSessionCookie(request, reply, session.token);
    setDeviceCookie(request, reply, session.device);
    return me(session.userId, session.orgId, session.csrf);
  }

  app.post('/v1/auth/login', {
    schema: {
      summary: 'Sign in with email and password (sets the session cookie)',
      tags: ['auth'],
      body: z.strictObject({ email: z.string().min(3).max(320), password: z.string().min(1).max(256), org: slugSchema.optional() }),
      response: { 200: meViewSchema, ...errorResponses },
    },
    handler: async (request, reply) => signIn(request, reply, request.body.email, request.body.password, request.body.org),
  });

  app.post('/v1/auth/logout', {
    schema: { summary: 'Sign out (ends the session)', tags: ['auth'], response: { 204: z.null(), ...errorResponses } },
    onRequest: auth.authenticated,
    handler: async (request, reply) => {
      const principal = request.principal!;
      if (principal.kind === 'session') {
        const event = { type: 'logout', action: 'Signed out', metadata: { session_id: principal.sessionId } };
        await inTransaction(deps.db, async (tx) => {
          await sessions.revoke(principal.sessionId!, { userId: principal.userId }, tx);
          await selfAudit(principal.orgId, principal.actor, event, request, tx);
        });
      }
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send(null);
    },
  });

  app.get('/v1/auth/me', {
    schema: {
      summary: 'The signed-in user, organization and role',
      tags: ['auth'],
      response: { 200: meViewSchema, ...errorResponses },
    },
    onRequest: auth.authenticated,
    handler: async (request) => {
      const principal = request.principal!;
      if (principal.kind !== 'session') throw new AppError(400, 'not_a_session', 'this endpoint describes a signed-in user; API credentials have no user');
      return me(principal.userId!, principal.orgId, csrfTokenFor(request.cookies[SESSION_COOKIE]!));
    },
  });

  app.get('/v1/auth/sessions', {
    schema: {
      summary: "The signed-in user's open sessions",
      tags: ['auth'],
      response: { 200: sessionListViewSchema, ...errorResponses },
    },
    onRequest: auth.authenticated,
    handler: async (request) => ({ sessions: request.principal!.userId ? await sessions.listForUser(request.principal!.userId, request.principal!.sessionId) : [] }),
  });

  app.delete('/v1/auth/sessions/:id', {
    schema: { summary: 'End one of your sessions', tags: ['auth'], params: z.object({ id: z.string().uuid() }), response: { 204: z.null(), ...errorResponses } },
    onRequest: auth.authenticated,
    handler: async (request, reply) => {
      const principal = request.principal!;
      const event = { type: 'session.revoked', action: 'Ended a session', metadata: { session_id: request.params.id } };
      await inTransaction(deps.db, async (tx) => {
        await sessions.revoke(request.params.id, { userId: principal.userId ?? '-' }, tx);
        await selfAudit(principal.orgId, principal.actor, event, request, tx);
      });
      return reply.status(204).send(null);
    },
  });

  app.get('/v1/setup', {
    schema: {
      summary: 'Whether first-run setup is pending (no user exists yet); the sign-in page says so',
      tags: ['auth'],
      response: { 200: setupStatusViewSchema, ...errorResponses },
    },
    handler: async () => ({ pending: await deps.setup.pending() }),
  });

  app.post('/v1/setup', {
    schema: {
      summary: 'First run: create the first organization and its owner with the one-time setup token',
      tags: ['auth'],
      body: z.strictObject({
        token: z.string().min(10).max(200),
        org_slug: slugSchema,
        org_name: personName.optional(),
        email: accountEmail,
        password: passwordSchema,
        name: personName.optional(),
      }),
      response: { 200: meViewSchema, ...errorResponses },
    },
    handler: async (request, reply) => {
      const b = request.body;
      await deps.setup.complete(b.token, { orgSlug: b.org_slug, orgName: b.org_name, email: b.email, password: b.password, name: b.name });
      return signIn(request, reply, b.email, b.password, b.org_slug);
    },
  });

  app.post('/v1/invites/accept', {
    schema: {
      summary: 'Accept an invitation: set a password (or confirm yours) and join the organization',
      tags: ['members'],
      body: z.strictObject({ token: z.string().min(10).max(200), password: z.string().min(1).max(256), name: personName.optional() }),
      response: { 200: meViewSchema, ...errorResponses },
    },
    handler: async (request, reply) => {
      const { token, password, name } = request.body;
      const accepted = await inTransaction(deps.db, async (tx) => {
        const done = await deps.invites.accept(token, password, name, tx);
        const event = {
          type: 'invite.accepted',
          action: `Accepted the invitation as ${done.role}`,
          target: { type: 'invite', id: done.inviteId },
          metadata: { role: done.role },
        };
        await selfAudit(done.orgId, { id: done.userId, type: 'user', email: done.email }, event, request, tx);
        return done;
      });
      const org = await orgs.byId(accepted.orgId);
      return signIn(request, reply, accepted.email, request.body.password, org.slug);
    },
  });
}

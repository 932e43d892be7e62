import type { FastifyRequest } from 'fastify';
import { AuthError, ForbiddenError } from '../errors.ts';
import { can, type Permission, type Principal, type Scope } from '../access/principal.ts';
import type { AuthHook } from './openapi-security.ts';

/** Resolves a bearer token to a principal, or null when the token is not of its kind. */
export type BearerResolver = (token: string) => Promise<Principal | null>;
/** Resolves a session cookie; returns the principal and the token the CSRF header must carry. */
export type SessionResolver = (token: string) => Promise<Principal & { csrfToken: string }>;

export const SESSION_COOKIE = 'auditum_session';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const AUDIT_LOG_PERMISSIONS = new Set<Permission>(['events:read', 'export']);

/**
 * Builds the hooks that authenticate a request (bearer credential, else session cookie) and
 * check a permission. Cookie-authenticated requests that change state must carry the
 * session's CSRF token in `X-CSRF-Token`.
 */
export function createAuthGuard(options: { bearer: BearerResolver[]; session?: SessionResolver; checkCsrf?: (expected: string, presented: string | undefined) => void }) {
  async function principalOf(request: FastifyRequest): Promise<Principal> {
    if (request.principal) return request.principal;
    const header = request.headers.authorization;
    if (header) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!match) throw new AuthError('the Authorization header must be "Bearer <credential>"');
      for (const resolve of options.bearer) {
        const principal = await resolve(match[1]!);
        if (principal) return (request.principal = principal);
      }
      throw new AuthError('invalid credentials');
    }
    const cookie = request.cookies?.[SESSION_COOKIE];
    if (cookie && options.session) {
      const { csrfToken, ...principal } = await options.session(cookie);
      if (!SAFE_METHODS.has(request.method)) options.checkCsrf!(csrfToken, request.headers['x-csrf-token'] as string | undefined);
      return (request.principal = principal);
    }
    throw new AuthError('sign in, or send "Authorization: Bearer <api key>"');
  }

  /** An onRequest hook requiring `permission` (marked with it for the OpenAPI document, see openapi-security.ts). */
  function require(permission: Permission) {
    return Object.assign(async (request: FastifyRequest) => {
      const principal = await principalOf(request);
      if (can(principal, permission)) return;
      if (principal.kind === 'session' && AUDIT_LOG_PERMISSIONS.has(permission)) throw new ForbiddenError('only organization owners and admins can view audit logs');
      if (principal.kind === 'session') throw new ForbiddenError(permission === 'owner' ? 'only organization owners can do this' : 'only organization owners and admins can do this');
      throw new ForbiddenError(`this credential is not allowed to do this (needs ${permission === 'events:write' ? 'the events:write scope' : permission.startsWith('events') || permission === 'export' ? 'the events:read scope' : 'the admin scope'})`);
    }, { requires: permission } satisfies AuthHook);
  }

  /** An onRequest hook that only requires a signed-in user or any valid credential. */
  const authenticated = Object.assign(async (request: FastifyRequest) => {
    await principalOf(request);
  }, { requires: 'any' } satisfies AuthHook);

  /** Kept for machine-credential routes written in scope terms: a scope maps to its permission. */
  const requireScope = (scope: Scope) => require(scope === 'admin' ? 'settings' : scope);

  return { require, requireScope, authenticated, principalOf };
}

export type AuthGuard = ReturnType<typeof createAuthGuard>;

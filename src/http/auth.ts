import type { FastifyRequest } from 'fastify';
import { AuthError, ForbiddenError } from '../errors.ts';
import type { Principal, Scope } from '../access/principal.ts';

/** Resolves a bearer token to a principal; each credential kind (API key, OAuth2 token...) is one resolver. */
export type BearerResolver = (token: string) => Promise<Principal | null>;

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** Builds the pre-handler that authenticates the request and checks it holds `scope`. */
export function createAuthGuard(resolvers: BearerResolver[]) {
  async function principalOf(request: FastifyRequest): Promise<Principal> {
    if (request.principal) return request.principal;
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw new AuthError('missing "Authorization: Bearer <api key>" header');
    for (const resolve of resolvers) {
      const principal = await resolve(match[1]!);
      if (principal) {
        request.principal = principal;
        return principal;
      }
    }
    throw new AuthError('invalid credentials');
  }

  /** A preHandler requiring `scope` (the `admin` scope grants every scope). */
  function requireScope(scope: Scope) {
    return async (request: FastifyRequest) => {
      const principal = await principalOf(request);
      if (!principal.scopes.has(scope) && !principal.scopes.has('admin')) {
        throw new ForbiddenError(`this credential lacks the "${scope}" scope`);
      }
    };
  }

  return { requireScope, principalOf };
}

export type AuthGuard = ReturnType<typeof createAuthGuard>;

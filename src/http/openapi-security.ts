import type { onRouteHookHandler } from 'fastify';
import type { Permission } from '../access/principal.ts';

/** An onRequest hook of the auth guard, marked with what it requires (`any`: any valid credential). */
export type AuthHook = { requires?: Permission | 'any'; apiKeyHeader?: true };

/** The security schemes of the OpenAPI document, named as the requirements below use them. */
export const SECURITY_SCHEMES = {
  bearer: { type: 'http', scheme: 'bearer', description: 'API key (adt_...), OAuth2 access token or viewer token' },
  oauth2: {
    type: 'oauth2',
    description: 'OAuth2 client credentials (RFC 6749 section 4.4); send the access token as a Bearer token',
    flows: {
      clientCredentials: {
        tokenUrl: '/oauth/token',
        scopes: { 'events:write': 'send events', 'events:read': 'read, search, verify and export', admin: 'settings and credentials' },
      },
    },
  },
  session: { type: 'apiKey', in: 'cookie', name: 'auditum_session', description: 'browser session (sign in at POST /v1/auth/login)' },
  csrf: { type: 'apiKey', in: 'header', name: 'X-CSRF-Token', description: 'with a session, on every request that changes state' },
  apiKeyHeader: {
    type: 'apiKey', in: 'header', name: 'x-api-key', description: 'an API key, where a route takes it in this header (OTLP ingest)',
  },
} as const;

/** The machine credential scope that grants a permission; undefined for what only an owner's session may do. */
function scopeFor(permission: Permission | 'any'): string | undefined {
  if (permission === 'any') return '';
  if (permission === 'owner') return undefined;
  if (permission === 'events:write') return 'events:write';
  if (permission === 'events:read' || permission === 'export') return 'events:read';
  return 'admin';
}

/** The requirement alternatives of a route guarded by `requires`: a machine credential with its scope, or a session. */
function requirementsOf(requires: Permission | 'any', method: string, apiKeyHeader: boolean): Array<Record<string, string[]>> {
  const session: Record<string, string[]> = method === 'GET' || method === 'HEAD' ? { session: [] } : { session: [], csrf: [] };
  const scope = scopeFor(requires);
  if (scope === undefined) return [session];
  const scopes = scope ? [scope] : [];
  return [{ bearer: scopes }, ...(apiKeyHeader ? [{ apiKeyHeader: scopes }] : []), { oauth2: scopes }, session];
}

/**
 * Declares each route's security in the OpenAPI document from the auth hook it really runs, so the
 * document cannot say less or other than the server checks. A route without one is public (`[]`).
 */
export const declareSecurity: onRouteHookHandler = (route) => {
  if (!route.schema || (route.schema as { hide?: boolean }).hide) return;
  const hooks = [route.onRequest ?? []].flat() as AuthHook[];
  const requires = hooks.find((hook) => hook.requires)?.requires;
  const method = [route.method].flat()[0]!;
  const apiKeyHeader = hooks.some((hook) => hook.apiKeyHeader);
  (route.schema as { security?: unknown }).security = requires ? requirementsOf(requires, method, apiKeyHeader) : [];
};

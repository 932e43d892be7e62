import { z } from 'zod';
import type { AuthGuard } from '../http/auth.ts';
import { errorResponses } from '../http/schemas.ts';
import type { App } from '../http/types.ts';
import { rfc3339 } from '../events/event.schemas.ts';
import type { ApiKeyService } from './api-key.service.ts';
import { SCOPES } from './principal.ts';
import type { SelfAudit } from './self-audit.ts';
import { OauthError, type TokenService } from './token.service.ts';

const scopesSchema = z.array(z.enum(SCOPES)).min(1).max(3);
const apiKeySchema = z.object({ id: z.string(), name: z.string(), prefix: z.string(), scopes: z.array(z.enum(SCOPES)), created_at: z.string(), expires_at: z.string().nullable(), last_used_at: z.string().nullable(), revoked_at: z.string().nullable() });
const clientSchema = z.object({ client_id: z.string(), name: z.string(), scopes: z.array(z.enum(SCOPES)), created_at: z.string(), revoked_at: z.string().nullable() });
const name = z.string().trim().min(1).max(100);

/** API keys, OAuth2 clients and viewer tokens of the caller's organization, and the OAuth2 token endpoint. */
export function credentialsRoutes(app: App, deps: { auth: AuthGuard; apiKeys: ApiKeyService; tokens: TokenService; selfAudit: SelfAudit; embedUrl: (token: string) => string }) {
  const { auth, apiKeys, tokens, selfAudit } = deps;
  const tags = ['credentials'];

  app.get('/v1/api-keys', {
    schema: { summary: 'List API keys (never the keys themselves)', tags, response: { 200: z.object({ api_keys: z.array(apiKeySchema) }), ...errorResponses } },
    onRequest: auth.require('credentials'),
    handler: async (request) => ({ api_keys: await apiKeys.list(request.principal!.orgId) }),
  });

  app.post('/v1/api-keys', {
    schema: {
      summary: 'Create an API key; the key is in this response only',
      tags,
      body: z.strictObject({ name, scopes: scopesSchema, expires_at: rfc3339.refine((s) => Date.parse(s) > Date.now(), 'must be in the future').optional() }),
      response: { 201: z.object({ key: z.string(), api_key: apiKeySchema }), ...errorResponses },
    },
    onRequest: auth.require('credentials'),
    handler: async (request, reply) => {
      const principal = request.principal!;
      const { key, info } = await apiKeys.create(principal.orgId, { name: request.body.name, scopes: request.body.scopes, expiresAt: request.body.expires_at ? Date.parse(request.body.expires_at) : undefined });
      await selfAudit(principal.orgId, principal.actor, { type: 'api_key.created', action: `Created API key "${info.name}"`, target: { type: 'api_key', id: info.id, name: info.name }, metadata: { scopes: info.scopes, expires_at: info.expires_at } }, request);
      return reply.status(201).send({ key, api_key: info });
    },
  });

  app.delete('/v1/api-keys/:id', {
    schema: { summary: 'Revoke an API key (takes effect immediately)', tags, params: z.object({ id: z.string().regex(/^[0-9a-f]{12}$/) }), response: { 200: apiKeySchema, ...errorResponses } },
    onRequest: auth.require('credentials'),
    handler: async (request) => {
      const principal = request.principal!;
      const info = await apiKeys.revoke(principal.orgId, request.params.id);
      await selfAudit(principal.orgId, principal.actor, { type: 'api_key.revoked', action: `Revoked API key "${info.name}"`, target: { type: 'api_key', id: info.id, name: info.name } }, request);
      return info;
    },
  });

  app.get('/v1/oauth-clients', {
    schema: { summary: 'List OAuth2 clients', tags, response: { 200: z.object({ oauth_clients: z.array(clientSchema) }), ...errorResponses } },
    onRequest: auth.require('credentials'),
    handler: async (request) => ({ oauth_clients: await tokens.listClients(request.principal!.orgId) }),
  });

  app.post('/v1/oauth-clients', {
    schema: {
      summary: 'Register an OAuth2 client (client credentials grant); the secret is in this response only',
      tags,
      body: z.strictObject({ name, scopes: scopesSchema }),
      response: { 201: z.object({ client_secret: z.string(), oauth_client: clientSchema }), ...errorResponses },
    },
    onRequest: auth.require('credentials'),
    handler: async (request, reply) => {
      const principal = request.principal!;
      const { client, secret } = await tokens.createClient(principal.orgId, request.body.name, request.body.scopes);
      await selfAudit(principal.orgId, principal.actor, { type: 'oauth_client.created', action: `Registered OAuth2 client "${client.name}"`, target: { type: 'oauth_client', id: client.client_id, name: client.name }, metadata: { scopes: client.scopes } }, request);
      return reply.status(201).send({ client_secret: secret, oauth_client: client });
    },
  });

  app.delete('/v1/oauth-clients/:id', {
    schema: { summary: 'Revoke an OAuth2 client and every token it holds', tags, params: z.object({ id: z.string().regex(/^oc_[0-9a-f]{16}$/) }), response: { 200: clientSchema, ...errorResponses } },
    onRequest: auth.require('credentials'),
    handler: async (request) => {
      const principal = request.principal!;
      const client = await tokens.revokeClient(principal.orgId, request.params.id);
      await selfAudit(principal.orgId, principal.actor, { type: 'oauth_client.revoked', action: `Revoked OAuth2 client "${client.name}"`, target: { type: 'oauth_client', id: client.client_id, name: client.name } }, request);
      return client;
    },
  });

  app.post('/v1/viewer-tokens', {
    schema: {
      summary: "Mint a short-lived token that shows one viewer this organization's audit log (embed)",
      tags,
      body: z.strictObject({
        viewer: z.strictObject({ id: z.string().min(1).max(256), email: z.email().max(320).optional(), name: z.string().min(1).max(256).optional() }),
        ttl_seconds: z.number().int().min(60).max(86_400).default(900),
      }),
      response: { 201: z.object({ token: z.string(), url: z.string(), expires_at: z.string() }), ...errorResponses },
    },
    onRequest: auth.require('credentials'),
    handler: async (request, reply) => {
      const principal = request.principal!;
      const minted = await tokens.mintViewerToken(principal.orgId, request.body.viewer, request.body.ttl_seconds, principal.actor.id);
      return reply.status(201).send({ ...minted, url: deps.embedUrl(minted.token) });
    },
  });

  // RFC 6749 section 4.4: form-encoded (or JSON) body, client authentication by HTTP Basic or body.
  app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    scope.post('/oauth/token', { schema: { hide: true } }, async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const body = (request.body ?? {}) as Record<string, unknown>;
      const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
      try {
        if (str(body.grant_type) !== 'client_credentials') throw new OauthError('unsupported_grant_type', 'only grant_type=client_credentials is supported');
        let clientId = str(body.client_id);
        let secret = str(body.client_secret);
        const basic = /^Basic\s+(\S+)$/i.exec(request.headers.authorization ?? '');
        if (basic) {
          const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
          const colon = decoded.indexOf(':');
          clientId = decodeURIComponent(decoded.slice(0, colon));
          secret = decodeURIComponent(decoded.slice(colon + 1));
        }
        if (!clientId || !secret) throw new OauthError('invalid_client', 'client_id and client_secret are required');
        const { orgId: _org, ...grant } = await tokens.issueClientToken(clientId, secret, str(body.scope));
        return grant;
      } catch (error) {
        if (!(error instanceof OauthError)) throw error;
        return reply.status(error.status).send({ error: error.code, error_description: error.message });
      }
    });
  });
}

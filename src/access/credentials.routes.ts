import { z } from 'zod';
import type { AuthGuard } from '../http/auth.ts';
import { errorResponses } from '../http/schemas.ts';
import type { App } from '../http/types.ts';
import { inTransaction, type Executor } from '../db/unit-of-work.ts';
import { recordedEmail, rfc3339, singleLineText } from '../events/event.schemas.ts';
import type { ApiKeyService } from './api-key.service.ts';
import {
  apiKeyListViewSchema,
  apiKeyViewSchema,
  createdApiKeyViewSchema,
  createdOauthClientViewSchema,
  oauthClientListViewSchema,
  oauthClientViewSchema,
  SCOPES,
  viewerTokenViewSchema,
} from './credentials-view.schema.ts';
import type { SelfAudit } from './self-audit.ts';
import { OauthError, type TokenService } from './token.service.ts';

const scopesSchema = z.array(z.enum(SCOPES)).min(1).max(3);
const name = z.string().trim().pipe(singleLineText(100));
const viewerSchema = z.strictObject({
  id: singleLineText(256),
  email: recordedEmail.optional(),
  name: singleLineText(256).optional(),
});

export interface CredentialsRouteDeps {
  db: Executor;
  auth: AuthGuard;
  apiKeys: ApiKeyService;
  tokens: TokenService;
  selfAudit: SelfAudit;
  embedUrl: (token: string) => string;
}

/** API keys, OAuth2 clients and viewer tokens of the caller's organization, and the OAuth2 token endpoint. */
export function credentialsRoutes(app: App, deps: CredentialsRouteDeps) {
  const { db, auth, apiKeys, tokens, selfAudit } = deps;
  const tags = ['credentials'];

  app.get('/v1/api-keys', {
    schema: {
      summary: 'List API keys (never the keys themselves)',
      tags,
      response: { 200: apiKeyListViewSchema, ...errorResponses },
    },
    onRequest: auth.require('credentials'),
    handler: async (request) => ({ api_keys: await apiKeys.list(request.principal!.orgId) }),
  });

  app.post('/v1/api-keys', {
    schema: {
      summary: 'Create an API key; the key is in this response only',
      tags,
      body: z.strictObject({ name, scopes: scopesSchema, expires_at: rfc3339.refine((s) => Date.parse(s) > Date.now(), 'must be in the future').optional() }),
      response: { 201: createdApiKeyViewSchema, ...errorResponses },
    },
    onRequest: auth.require('credentials'),
    handler: async (request, reply) => {
      const { orgId, actor } = request.principal!;
      const { body } = request;
      const expiresAt = body.expires_at ? Date.parse(body.expires_at) : undefined;
      const { key, info } = await inTransaction(db, async (tx) => {
        const created = await apiKeys.create(orgId, { name: body.name, scopes: body.scopes, expiresAt }, tx);
        const { info } = created;
        const event = {
          type: 'api_key.created',
          action: `Created API key "${info.name}"`,
          target: { type: 'api_key', id: info.id, name: info.name },
          metadata: { scopes: info.scopes, expires_at: info.expires_at },
        };
        await selfAudit(orgId, actor, event, request, tx);
        return created;
      });
      return reply.status(201).send({ key, api_key: info });
    },
  });

  app.delete('/v1/api-keys/:id', {
    schema: {
      summary: 'Revoke an API key (takes effect immediately)',
      tags,
      params: z.object({ id: z.string().regex(/^[0-9a-f]{12}$/) }),
      response: { 200: apiKeyViewSchema, ...errorResponses },
    },
    onRequest: auth.require('credentials'),
    handler: async (request) => {
      const { orgId, actor } = request.principal!;
      return inTransaction(db, async (tx) => {
        const info = await apiKeys.revoke(orgId, request.params.id, tx);
        const target = { type: 'api_key', id: info.id, name: info.name };
        await selfAudit(orgId, actor, { type: 'api_key.revoked', action: `Revoked API key "${info.name}"`, target }, request, tx);
        return info;
      });
    },
  });

  app.get('/v1/oauth-clients', {
    schema: { summary: 'List OAuth2 clients', tags, response: { 200: oauthClientListViewSchema, ...errorResponses } },
    onRequest: auth.require('credentials'),
    handler: async (request) => ({ oauth_clients: await tokens.listClients(request.principal!.orgId) }),
  });

  app.post('/v1/oauth-clients', {
    schema: {
      summary: 'Register an OAuth2 client (client credentials grant); the secret is in this response only',
      tags,
      body: z.strictObject({ name, scopes: scopesSchema }),
      response: { 201: createdOauthClientViewSchema, ...errorResponses },
    },
    onRequest: auth.require('credentials'),
    handler: async (request, reply) => {
      const { orgId, actor } = request.principal!;
      const { client, secret } = await inTransaction(db, async (tx) => {
        const created = await tokens.createClient(orgId, request.body.name, request.body.scopes, tx);
        const { client } = created;
        const event = {
          type: 'oauth_client.created',
          action: `Registered OAuth2 client "${client.name}"`,
          target: { type: 'oauth_client', id: client.client_id, name: client.name },
          metadata: { scopes: client.scopes },
        };
        await selfAudit(orgId, actor, event, request, tx);
        return created;
      });
      return reply.status(201).send({ client_secret: secret, oauth_client: client });
    },
  });

  app.delete('/v1/oauth-clients/:id', {
    schema: {
      summary: 'Revoke an OAuth2 client and every token it holds',
      tags,
      params: z.object({ id: z.string().regex(/^oc_[0-9a-f]{16}$/) }),
      response: { 200: oauthClientViewSchema, ...errorResponses },
    },
    onRequest: auth.require('credentials'),
    handler: async (request) => {
      const { orgId, actor } = request.principal!;
      return inTransaction(db, async (tx) => {
        const client = await tokens.revokeClient(orgId, request.params.id, tx);
        const event = {
          type: 'oauth_client.revoked',
          action: `Revoked OAuth2 client "${client.name}"`,
          target: { type: 'oauth_client', id: client.client_id, name: client.name },
        };
        await selfAudit(orgId, actor, event, request, tx);
        return client;
      });
    },
  });

  app.post('/v1/viewer-tokens', {
    schema: {
      summary: "Mint a short-lived token that shows one viewer this organization's audit log (embed)",
      tags,
      body: z.strictObject({
        viewer: viewerSchema,
        ttl_seconds: z.number().int().min(60).max(86_400).default(900),
      }),
      response: { 201: viewerTokenViewSchema, ...errorResponses },
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
    scope.post('/oauth/token', {
      schema: oauthTokenSchema,
      // Checked in the handler, which answers in RFC 6749's error shape rather than Auditum's.
      attachValidation: true,
    }, async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const body = (request.body ?? {}) as Record<string, unknown>;
      const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
      try {
        if (str(body.grant_type) !== 'client_credentials') throw new OauthError('unsupported_grant_type', 'only grant_type=client_credentials is supported');
        let clientId = str(body.client_id);
        let secret = str(body.client_secret);
        const basic = /^Basic\s+(\S+)$/i.exec(request.headers.authorization ?? '');
        if (basic) ({ clientId, secret } = basicCredentials(basic[1]!));
        if (!clientId || !secret) throw new OauthError('invalid_client', 'client_id and client_secret are required');
        const { orgId: _org, ...grant } = await tokens.issueClientToken(clientId, secret, str(body.scope));
        return grant;
      } catch (error) {
        if (!(error instanceof OauthError)) throw error;
        return reply.status(error.status as 400 | 401).send({ error: error.code, error_description: error.message });
      }
    });
  });
}

const oauthError = z.object({
  error: z.enum(['invalid_client', 'invalid_request', 'invalid_scope', 'unsupported_grant_type']),
  error_description: z.string(),
});

/** POST /oauth/token in the OpenAPI document (RFC 6749 section 4.4, client credentials). */
const oauthTokenSchema = {
  summary: 'Get an access token for an OAuth2 client (client credentials grant)',
  description: 'Client authentication by HTTP Basic (`Authorization: Basic base64(client_id:client_secret)`) or by '
    + '`client_id` and `client_secret` in the body. The token goes in `Authorization: Bearer <token>`; ask for a new '
    + 'one before `expires_in` seconds have passed. Errors are RFC 6749 section 5.2\'s, not Auditum\'s error shape.',
  tags: ['access'],
  consumes: ['application/x-www-form-urlencoded', 'application/json'],
  body: z.object({
    grant_type: z.literal('client_credentials'),
    client_id: z.string().optional().describe('with client_secret, unless sent by HTTP Basic'),
    client_secret: z.string().optional(),
    scope: z.string().optional().describe('space-separated scopes, at most those the client was given (default: all of them)'),
  }),
  response: {
    200: z.object({
      access_token: z.string(),
      token_type: z.literal('Bearer'),
      expires_in: z.number().int().describe('seconds the token is valid for'),
      scope: z.string(),
    }).meta({ example: { access_token: 'eyJhbGciOi...', token_type: 'Bearer', expires_in: 3600, scope: 'events:write' } }),
    400: oauthError.describe('unsupported_grant_type, invalid_request or invalid_scope'),
    401: oauthError.describe('invalid_client: unknown client, wrong secret or revoked client'),
  },
};

/** RFC 6749 section 2.3.1: HTTP Basic with the form-urlencoded client id and secret; bad encoding is the client's error. */
function basicCredentials(encoded: string): { clientId?: string; secret?: string } {
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new OauthError('invalid_client', 'HTTP Basic credentials must be client_id:client_secret', 400);
  try {
    return { clientId: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
  } catch {
    throw new OauthError('invalid_client', 'HTTP Basic credentials are not validly percent-encoded', 400);
  }
}

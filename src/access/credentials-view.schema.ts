import { z } from 'zod';

/**
 * What the API keys, OAuth2 clients and viewer tokens API answers, apart from the routes
 * (credentials.routes.ts) so the web page can take the types (`import type`) without the server's Node.js imports.
 */

/** Scopes a machine credential (API key, OAuth2 client) can carry. */
export const SCOPES = ['events:write', 'events:read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export const apiKeyViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(z.enum(SCOPES)),
  created_at: z.string(),
  expires_at: z.string().nullable(),
  last_used_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
});
export type ApiKeyView = z.infer<typeof apiKeyViewSchema>;
export const apiKeyListViewSchema = z.object({ api_keys: z.array(apiKeyViewSchema) });
export type ApiKeyListView = z.infer<typeof apiKeyListViewSchema>;
/** POST /v1/api-keys: the key itself is in this answer only. */
export const createdApiKeyViewSchema = z.object({ key: z.string(), api_key: apiKeyViewSchema });
export type CreatedApiKeyView = z.infer<typeof createdApiKeyViewSchema>;

export const oauthClientViewSchema = z.object({
  client_id: z.string(),
  name: z.string(),
  scopes: z.array(z.enum(SCOPES)),
  created_at: z.string(),
  revoked_at: z.string().nullable(),
});
export type OauthClientView = z.infer<typeof oauthClientViewSchema>;
export const oauthClientListViewSchema = z.object({ oauth_clients: z.array(oauthClientViewSchema) });
export type OauthClientListView = z.infer<typeof oauthClientListViewSchema>;
/** POST /v1/oauth-clients: the secret is in this answer only. */
export const createdOauthClientViewSchema = z.object({ client_secret: z.string(), oauth_client: oauthClientViewSchema });
export type CreatedOauthClientView = z.infer<typeof createdOauthClientViewSchema>;

/** POST /v1/viewer-tokens: the token and the embed URL that carries it. */
export const viewerTokenViewSchema = z.object({ token: z.string(), url: z.string(), expires_at: z.string() });

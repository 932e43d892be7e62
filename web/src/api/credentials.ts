/** The credentials API: API keys and OAuth2 clients of the organization (their secrets are shown once). */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  ApiKeyListView,
  ApiKeyView,
  CreatedApiKeyView,
  CreatedOauthClientView,
  OauthClientListView,
  OauthClientView,
  Scope,
} from '../../../src/access/credentials-view.schema.ts';
import { api } from '../lib/api.ts';
import type { MutationHandlers } from './handlers.ts';
import { keys } from './keys.ts';

export type { Scope };
export type ApiKey = ApiKeyView;
export type OauthClient = OauthClientView;

/** The scopes a machine credential can carry, in the order the pickers show them. */
export const SCOPES: readonly Scope[] = ['events:write', 'events:read', 'admin'];

/** A new credential: its name and scopes. */
export interface NewCredential {
  name: string;
  scopes: Scope[];
}

export function useApiKeys() {
  return useQuery({
    queryKey: keys.apiKeys(),
    queryFn: () => api<ApiKeyListView>('GET', '/v1/api-keys'),
  });
}

/** Creates an API key; the answer holds the key itself, shown once. */
export function useCreateApiKey(handlers: MutationHandlers<CreatedApiKeyView, NewCredential> = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    ...handlers,
    mutationFn: (key: NewCredential) => api<CreatedApiKeyView>('POST', '/v1/api-keys', key),
    onSuccess: (created, key) => {
      handlers.onSuccess?.(created, key);
      void queryClient.invalidateQueries({ queryKey: keys.apiKeys() });
    },
  });
}

/** Revokes an API key by id: requests using it are refused at once. */
export function useRevokeApiKey(handlers: MutationHandlers<ApiKey, string> = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    ...handlers,
    mutationFn: (id: string) => api<ApiKey>('DELETE', `/v1/api-keys/${id}`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: keys.apiKeys() }),
  });
}

export function useOauthClients() {
  return useQuery({
    queryKey: keys.oauthClients(),
    queryFn: () => api<OauthClientListView>('GET', '/v1/oauth-clients'),
  });
}

/** Registers an OAuth2 client; the answer holds its secret, shown once. */
export function useCreateOauthClient(handlers: MutationHandlers<CreatedOauthClientView, NewCredential> = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    ...handlers,
    mutationFn: (client: NewCredential) => api<CreatedOauthClientView>('POST', '/v1/oauth-clients', client),
    onSuccess: (created, client) => {
      handlers.onSuccess?.(created, client);
      void queryClient.invalidateQueries({ queryKey: keys.oauthClients() });
    },
  });
}

/** Revokes an OAuth2 client by client id: the tokens it holds stop working at once. */
export function useRevokeOauthClient(handlers: MutationHandlers<OauthClient, string> = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    ...handlers,
    mutationFn: (id: string) => api<OauthClient>('DELETE', `/v1/oauth-clients/${id}`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: keys.oauthClients() }),
  });
}

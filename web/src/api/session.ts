/** The session API: who is signed in, signing in (or setting up, or accepting an invitation), signing out. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { SetupStatusView } from '../../../src/access/auth-view.schema.ts';
import type { InviteLookupView } from '../../../src/access/members-view.schema.ts';
import { api, ApiError, setCsrf } from '../lib/api.ts';
import type { Me } from '../lib/types.ts';
import { keys } from './keys.ts';

/** The signed-in user, or null when signed out; its CSRF token goes on every later change. */
export function useMe() {
  return useQuery({
    queryKey: keys.me(),
    queryFn: async () => {
      try {
        const me = await api<Me>('GET', '/v1/auth/me');
        setCsrf(me.csrf_token);
        return me;
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: 60_000,
  });
}

/** The routes that open a session and answer with it. */
export type SessionPath = '/v1/auth/login' | '/v1/setup' | '/v1/invites/accept';

/** Posts a form to a route that opens a session; the answer becomes the signed-in user (and its CSRF token). */
export function useOpenSession(path: SessionPath) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: unknown) => api<Me>('POST', path, body),
    onSuccess: (me) => {
      setCsrf(me.csrf_token);
      queryClient.setQueryData(keys.me(), me);
    },
  });
}

/** Ends the session and forgets everything the page had loaded. */
export function useSignOut() {
  const queryClient = useQueryClient();
  return async () => {
    await api('POST', '/v1/auth/logout');
    queryClient.clear();
  };
}

/** Whether first-run setup is pending (the sign-in page says so). */
export function useSetupPending() {
  return useQuery({
    queryKey: keys.setupPending(),
    queryFn: () => api<SetupStatusView>('GET', '/v1/setup'),
    staleTime: 10_000,
  });
}

/** What an invitation link is for; the token goes in the body, out of request logs. */
export function useInviteLookup(token: string) {
  return useQuery({
    queryKey: keys.invite(token),
    queryFn: () => api<InviteLookupView>('POST', '/v1/invites/lookup', { token }),
    enabled: token !== '',
    retry: false,
  });
}

/** The members API: members and invitations of the organization, and the changes an admin makes to them. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  CreatedInviteView,
  InviteListView,
  InviteView,
  MemberListView,
  MemberView,
} from '../../../src/access/members-view.schema.ts';
import { api } from '../lib/api.ts';
import type { MutationHandlers } from './handlers.ts';
import { keys } from './keys.ts';

export type Member = MemberView;
export type Invite = InviteView;
export type Role = Member['role'];

/** A change to one member: a new role (owners only), or deactivating or reactivating them. */
export interface MemberChange {
  userId: string;
  body: { role?: Role; status?: Member['status'] };
}

export function useMembers() {
  return useQuery({
    queryKey: keys.members(),
    queryFn: () => api<MemberListView>('GET', '/v1/members'),
  });
}

export function useInvites() {
  return useQuery({
    queryKey: keys.invites(),
    queryFn: () => api<InviteListView>('GET', '/v1/invites'),
  });
}

/** Every change here can change both lists (a revoked invite, a removed member). */
function useRefresh() {
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: keys.members() }),
      queryClient.invalidateQueries({ queryKey: keys.invites() }),
    ]);
}

/** Invites someone by email; the answer holds the single-use link, shown once. */
export function useCreateInvite(handlers: MutationHandlers<CreatedInviteView, { email: string; role: Role }> = {}) {
  const refresh = useRefresh();
  return useMutation({
    ...handlers,
    mutationFn: (invite: { email: string; role: Role }) => api<CreatedInviteView>('POST', '/v1/invites', invite),
    onSuccess: (created, invite) => {
      handlers.onSuccess?.(created, invite);
      void refresh();
    },
  });
}

export function useChangeMember(handlers: MutationHandlers<Member, MemberChange> = {}) {
  const refresh = useRefresh();
  return useMutation({
    ...handlers,
    mutationFn: ({ userId, body }: MemberChange) => api<Member>('PATCH', `/v1/members/${userId}`, body),
    onSettled: refresh,
  });
}

export function useRemoveMember(handlers: MutationHandlers<void, string> = {}) {
  const refresh = useRefresh();
  return useMutation({
    ...handlers,
    mutationFn: (userId: string) => api<void>('DELETE', `/v1/members/${userId}`),
    onSettled: refresh,
  });
}

export function useRevokeInvite(handlers: MutationHandlers<Invite, string> = {}) {
  const refresh = useRefresh();
  return useMutation({
    ...handlers,
    mutationFn: (id: string) => api<Invite>('DELETE', `/v1/invites/${id}`),
    onSettled: refresh,
  });
}

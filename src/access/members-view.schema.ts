import { z } from 'zod';

/**
 * What the members and invitations API answers, apart from the routes (members.routes.ts) so the web
 * page can take the types (`import type`) without the server's Node.js imports.
 */

export const ROLES = ['owner', 'admin', 'member'] as const;
export const MEMBER_STATUSES = ['active', 'deactivated'] as const;

export const memberViewSchema = z.object({
  user_id: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  role: z.enum(ROLES),
  status: z.enum(MEMBER_STATUSES),
  joined_at: z.string(),
});
export type MemberView = z.infer<typeof memberViewSchema>;
export const memberListViewSchema = z.object({ members: z.array(memberViewSchema) });
export type MemberListView = z.infer<typeof memberListViewSchema>;

export const inviteViewSchema = z.object({
  id: z.string(),
  email: z.string(),
  role: z.enum(ROLES),
  status: z.string(),
  created_at: z.string(),
  expires_at: z.string(),
});
export type InviteView = z.infer<typeof inviteViewSchema>;
export const inviteListViewSchema = z.object({ invites: z.array(inviteViewSchema) });
export type InviteListView = z.infer<typeof inviteListViewSchema>;
/** POST /v1/invites: the invitation and its single-use link, returned once. */
export const createdInviteViewSchema = z.object({ invite: inviteViewSchema, url: z.string() });
export type CreatedInviteView = z.infer<typeof createdInviteViewSchema>;

/** POST /v1/invites/lookup: what an invitation link is for, before it is accepted. */
export const inviteLookupViewSchema = inviteViewSchema.extend({ org_name: z.string(), existing_account: z.boolean() });
export type InviteLookupView = z.infer<typeof inviteLookupViewSchema>;

import { z } from 'zod';

/**
 * What the sign-in and session API answers, apart from the routes (auth.routes.ts) so the web page
 * can take the types (`import type`) without the server's Node.js imports.
 */

/** The signed-in user, organization and role: the answer of sign-in, setup, invite acceptance and GET /v1/auth/me. */
export const meViewSchema = z.object({
  user: z.object({ id: z.string(), email: z.string(), name: z.string().nullable() }),
  org: z.object({ id: z.string(), slug: z.string(), name: z.string() }),
  role: z.enum(['owner', 'admin', 'member']),
  orgs: z.array(z.object({ id: z.string(), slug: z.string(), name: z.string(), role: z.string() })),
  csrf_token: z.string().describe('send as X-CSRF-Token on state-changing requests made with the session cookie'),
});
export type MeView = z.infer<typeof meViewSchema>;

export const sessionListViewSchema = z.object({
  sessions: z.array(
    z.object({
      id: z.string(),
      org_id: z.string(),
      ip: z.string().nullable(),
      user_agent: z.string().nullable(),
      created_at: z.string(),
      last_seen_at: z.string(),
      current: z.boolean(),
    }),
  ),
});
export type SessionListView = z.infer<typeof sessionListViewSchema>;

/** GET /v1/setup: whether first-run setup is pending. */
export const setupStatusViewSchema = z.object({ pending: z.boolean() });
export type SetupStatusView = z.infer<typeof setupStatusViewSchema>;

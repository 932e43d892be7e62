/** Response types come from the server's own zod schemas (types only: nothing of the server is bundled). */
import type { MeView } from '../../../src/access/auth-view.schema.ts';
import type { Entry } from '../../../src/events/entry.schema.ts';

export type { Entry };
export type Result = Entry['result'];

export interface EventsPage {
  events: Entry[];
  next_cursor: string | null;
  count?: { value: number; capped: boolean };
}

/** The signed-in user, organization and role (GET /v1/auth/me, and the answer of signing in). */
export type Me = MeView;

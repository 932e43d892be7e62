/** Response types come from the server's own zod schemas (types only: nothing of the server is bundled). */
import type { Entry } from '../../../src/events/entry.schema.ts';

export type { Entry };
export type Result = Entry['result'];

export interface EventsPage {
  events: Entry[];
  next_cursor: string | null;
  count?: { value: number; capped: boolean };
}

export interface Me {
  user: { id: string; email: string; name: string | null };
  org: { id: string; slug: string; name: string };
  role: 'owner' | 'admin' | 'member';
  orgs: Array<{ id: string; slug: string; name: string; role: string }>;
  csrf_token: string;
}

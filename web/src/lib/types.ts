/** Response types come from the server's own zod schemas (types only: nothing of the server is bundled). */
import type { MeView } from '../../../src/access/auth-view.schema.ts';
import type { Entry } from '../../../src/events/entry.schema.ts';
import type { EventsPageView } from '../../../src/query/query-view.schema.ts';

export type { Entry };
export type Result = Entry['result'];

/** One page of GET /v1/events. */
export type EventsPage = EventsPageView;

/** The signed-in user, organization and role (GET /v1/auth/me, and the answer of signing in). */
export type Me = MeView;

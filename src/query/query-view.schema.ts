import { z } from 'zod';
import { entrySchema } from '../events/entry.schema.ts';

/**
 * What the event-browsing routes answer (GET /v1/events, /v1/event-types, /v1/suggestions), apart
 * from the routes so the web page can take the types (`import type`) without the server's Node.js imports.
 */
export const eventsPageSchema = z.object({
  events: z.array(entrySchema),
  next_cursor: z.string().nullable(),
  count: z.object({ value: z.number().int(), capped: z.boolean() }).optional(),
});
export type EventsPageView = z.infer<typeof eventsPageSchema>;

export const eventTypeSchema = z.object({ type: z.string(), category: z.string() });
export type EventTypeView = z.infer<typeof eventTypeSchema>;

export const suggestionSchema = z.object({ value: z.string(), label: z.string(), detail: z.string().optional() });
export type SuggestionView = z.infer<typeof suggestionSchema>;

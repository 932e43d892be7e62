import { AuditumError } from './errors.ts';
import { filterQuery } from './filters.ts';
import type { Transport } from './transport.ts';
import type { Entry, EventFilter } from './types.ts';

export interface ListOptions extends EventFilter {
  /** Entries per request, 1-500 (default 100). */
  pageSize?: number;
}

interface Page {
  events: Entry[];
  next_cursor: string | null;
}

/** Reading entries: GET /v1/events page by page, and one entry by id. */
export function createEventReader(transport: Transport) {
  /** Every matching entry, newest first, following next_cursor until the last page. */
  async function* list(options: ListOptions = {}): AsyncGenerator<Entry> {
    const { pageSize = 100, ...filter } = options;
    let cursor: string | undefined;
    do {
      const query = { ...filterQuery(filter), limit: pageSize, cursor };
      const page = await transport.json<Page>('GET', '/v1/events', { query });
      yield* page.events;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
  }

  /** One entry with every field, or undefined when the organization has none with this id. */
  async function get(id: string): Promise<Entry | undefined> {
    try {
      return await transport.json<Entry>('GET', `/v1/events/${encodeURIComponent(id)}`);
    } catch (error) {
      if (error instanceof AuditumError && error.status === 404) return undefined;
      throw error;
    }
  }

  return { list, get };
}

/** The event-browsing API: query keys and hooks, defined once for every component that reads them. */
import { keepPreviousData, useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { api } from '../lib/api.ts';
import type { Entry, EventsPage } from '../lib/types.ts';
import type { Histogram } from '../../../src/query/histogram.schema.ts';
import type { EventTypeView, SuggestionView } from '../../../src/query/query-view.schema.ts';

export type EventType = EventTypeView;

export type SuggestionField = 'actor' | 'project' | 'target';

/** A filter value (`value`, as GET /v1/events takes it) and what a person reads for it. */
export type Suggestion = SuggestionView;

export const eventKeys = {
  /** Pages of GET /v1/events for one query string; the live tail merges into its first page. */
  list: (query: string) => ['events', query] as const,
  entry: (id: string | null) => ['event', id] as const,
  histogram: (query: string) => ['histogram', query] as const,
  types: () => ['event-types'] as const,
  suggestions: (field: SuggestionField, text: string) => ['suggestions', field, text] as const,
};

/** GET /v1/events for a query string of filters, 50 entries a page; the first page also counts them. */
export function useEventPages(query: string) {
  return useInfiniteQuery({
    queryKey: eventKeys.list(query),
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => {
      const page = pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : '&include_count=true';
      return api<EventsPage>('GET', `/v1/events?${query}&limit=50${page}`);
    },
    getNextPageParam: (last) => last.next_cursor,
  });
}

/** One entry by id (the details drawer); nothing is fetched while `id` is null. */
export function useEntry(id: string | null) {
  return useQuery({
    queryKey: eventKeys.entry(id),
    queryFn: () => api<Entry>('GET', `/v1/events/${encodeURIComponent(id!)}`),
    enabled: id !== null,
  });
}

/** The activity chart's buckets for a query string of GET /v1/events filters; the previous answer stays while the next loads. */
export function useHistogram(query: string) {
  return useQuery({
    queryKey: eventKeys.histogram(query),
    queryFn: () => api<Histogram>('GET', `/v1/events/histogram?${query}&buckets=60`),
    placeholderData: keepPreviousData,
  });
}

/** The built-in catalogue plus every type the organization has used. */
export function useEventTypes(enabled = true) {
  return useQuery({
    queryKey: eventKeys.types(),
    queryFn: async () => (await api<{ types: EventType[] }>('GET', '/v1/event-types')).types,
    staleTime: 300_000,
    enabled,
  });
}

/** Recent values of a filter whose value or name contains `text`; the previous answer stays while typing. */
export function useSuggestions(field: SuggestionField, text: string) {
  return useQuery({
    queryKey: eventKeys.suggestions(field, text),
    queryFn: async () => {
      const query = new URLSearchParams({ field, q: text, limit: '8' });
      return (await api<{ suggestions: Suggestion[] }>('GET', `/v1/suggestions?${query}`)).suggestions;
    },
    staleTime: 60_000,
    placeholderData: keepPreviousData,
  });
}

/** The exports API: recent exports of the audit log and starting a new one in the background. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ExportView } from '../../../src/exports/export-view.schema.ts';
import { api, ApiError } from '../lib/api.ts';
import { apiQuery, type Filters } from '../lib/filters.ts';
import { keys } from './keys.ts';

/** A recent export as GET /v1/exports answers it (the server's own schema). */
export type ExportJob = ExportView;

/** What to export: a name, the file's format and row order, and the page's filters. */
export interface ExportRequest {
  name: string;
  format: ExportJob['format'];
  order: ExportJob['order'];
  filters: Filters;
}

const unfinished = (jobs: ExportJob[] | undefined) =>
  (jobs ?? []).some((j) => j.status === 'queued' || j.status === 'running');

/** Recent exports while the dialog is open: every second while one is running, else every five. */
export function useExports(opened: boolean) {
  return useQuery({
    queryKey: keys.exports(),
    enabled: opened,
    refetchInterval: (query) => (opened ? (unfinished(query.state.data) ? 1000 : 5000) : false),
    queryFn: async () => {
      try {
        return (await api<{ exports: ExportJob[] }>('GET', '/v1/exports')).exports;
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return [];
        throw error;
      }
    },
  });
}

/** Queues an export; the filters go in the body as GET /v1/events takes them (repeated ones as lists). */
export function useQueueExport() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ name, format, order, filters }: ExportRequest) => {
      const body: Record<string, unknown> = { name: name.trim(), format, order };
      for (const [key, value] of apiQuery(filters)) {
        if (key === 'type' || key === 'result') body[key] = [...((body[key] as string[]) ?? []), value];
        else body[key] = value;
      }
      return api<ExportJob>('POST', '/v1/exports', body);
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: keys.exports() }),
  });
}

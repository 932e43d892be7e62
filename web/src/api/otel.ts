/** The OTLP log export API: the destination's settings and delivery status, and a test record. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { OtelExportView, OtelTestResultView } from '../../../src/otel/otel-export-view.schema.ts';
import { api, ApiError } from '../lib/api.ts';
import type { MutationHandlers } from './handlers.ts';
import { keys } from './keys.ts';

export type OtelExport = OtelExportView;
export type OtelProtocol = OtelExport['protocol'];

/** The form's values; a header value of "****" keeps the stored one. */
export interface OtelSettings {
  endpoint_url: string;
  headers: Record<string, string>;
  max_batch_size: number;
  protocol: OtelProtocol;
  enabled: boolean;
}

/** What a test record is sent to: the form's destination. */
export type OtelTarget = Pick<OtelSettings, 'endpoint_url' | 'headers' | 'protocol'>;

/** The settings and status while the drawer is open (null when none are set), refreshed every 5 seconds. */
export function useOtelExport(opened: boolean) {
  return useQuery({
    queryKey: keys.otelExport(),
    enabled: opened,
    refetchInterval: opened ? 5000 : false,
    queryFn: async () => {
      try {
        return await api<OtelExport>('GET', '/v1/otel-export');
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    },
  });
}

export function useSaveOtelExport(handlers: MutationHandlers<OtelExport, OtelSettings> = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    ...handlers,
    mutationFn: (settings: OtelSettings) => api<OtelExport>('PUT', '/v1/otel-export', settings),
    onSuccess: (saved, settings) => {
      handlers.onSuccess?.(saved, settings);
      return queryClient.invalidateQueries({ queryKey: keys.otelExport() });
    },
  });
}

/** Sends one marked test record to the given destination, saved or not (masked header values use the stored ones). */
export function useTestOtelExport(handlers: MutationHandlers<OtelTestResultView, OtelTarget> = {}) {
  return useMutation({
    ...handlers,
    mutationFn: (target: OtelTarget) => api<OtelTestResultView>('POST', '/v1/otel-export/test', target),
  });
}

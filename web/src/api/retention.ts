/** The retention settings API: how long entries are kept, and the legal hold (owners change them). */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { RetentionView } from '../../../src/retention/retention-view.schema.ts';
import { api } from '../lib/api.ts';
import { keys } from './keys.ts';

export type Retention = RetentionView;

export interface RetentionSave {
  /** Null keeps entries forever. */
  retention_days: number | null;
  legal_hold: boolean;
}

export function useRetention() {
  return useQuery({ queryKey: keys.retention(), queryFn: () => api<Retention>('GET', '/v1/settings/retention') });
}

/** Saves the settings; the answer is the new state, shown at once. */
export function useSaveRetention() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (settings: RetentionSave) => api<Retention>('PUT', '/v1/settings/retention', settings),
    onSuccess: (saved) => queryClient.setQueryData(keys.retention(), saved),
  });
}

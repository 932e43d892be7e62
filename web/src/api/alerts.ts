/** The alerts API: fired alerts, the rules that raise them, and the webhook they are sent to. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError } from '../lib/api.ts';
import type { AlertItem, AlertRule, AlertWebhook, RuleDraft } from '../lib/alerts.ts';
import type { MutationHandlers } from './handlers.ts';
import { keys } from './keys.ts';

export type AlertStatus = 'open' | 'acknowledged';

/** Alerts of one status, with the organization's open count; refreshed every 15 seconds. */
export function useAlerts(status: AlertStatus) {
  return useQuery({
    queryKey: keys.alerts.list(status),
    queryFn: () => api<{ alerts: AlertItem[]; open_count: number }>('GET', `/v1/alerts?status=${status}`),
    refetchInterval: 15_000,
  });
}

/** The open-alerts badge: refreshed on a timer and whenever an alert is acknowledged. */
export function useOpenAlertCount(enabled: boolean) {
  return useQuery({
    queryKey: keys.alerts.openCount(),
    queryFn: async () => (await api<{ open_count: number }>('GET', '/v1/alerts?status=open&limit=1')).open_count,
    enabled,
    refetchInterval: 30_000,
  });
}

export function useAcknowledgeAlert() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api<AlertItem>('POST', `/v1/alerts/${id}/acknowledge`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: keys.alerts.all() }),
  });
}

export function useAlertRules() {
  return useQuery({
    queryKey: keys.alertRules(),
    queryFn: () => api<{ rules: AlertRule[] }>('GET', '/v1/alert-rules'),
  });
}

function useRefreshRules() {
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: keys.alertRules() });
}

/** Turns a rule on or off. */
export function useToggleRule() {
  const refresh = useRefreshRules();
  return useMutation({
    mutationFn: (rule: AlertRule) => api<AlertRule>('PATCH', `/v1/alert-rules/${rule.id}`, { enabled: !rule.enabled }),
    onSettled: refresh,
  });
}

export function useDeleteRule() {
  const refresh = useRefreshRules();
  return useMutation({ mutationFn: (id: string) => api<void>('DELETE', `/v1/alert-rules/${id}`), onSettled: refresh });
}

/** A rule to save: a new one (id null) or the changes to an existing one. */
export interface RuleSave {
  id: string | null;
  draft: RuleDraft;
}

export function useSaveRule(handlers: MutationHandlers<AlertRule, RuleSave> = {}) {
  const refresh = useRefreshRules();
  return useMutation({
    ...handlers,
    mutationFn: ({ id, draft }: RuleSave) =>
      id ? api<AlertRule>('PATCH', `/v1/alert-rules/${id}`, draft) : api<AlertRule>('POST', '/v1/alert-rules', draft),
    onSuccess: (rule, save) => {
      handlers.onSuccess?.(rule, save);
      void refresh();
    },
  });
}

/** The organization's webhook with its recent deliveries (null when none is set); refreshed every 10 seconds. */
export function useAlertWebhook() {
  return useQuery({
    queryKey: keys.alertWebhook(),
    queryFn: async () => {
      try {
        return await api<AlertWebhook>('GET', '/v1/alert-webhook');
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    },
    refetchInterval: 10_000,
  });
}

export interface WebhookSave {
  url: string;
  enabled: boolean;
  /** Generates a new signing secret, returned once in the answer. */
  rotate_secret: boolean;
}

/** Saves the webhook; the answer's secret (when one was generated) goes to the page only, never into the cache. */
export function useSaveWebhook(handlers: MutationHandlers<AlertWebhook, WebhookSave> = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    ...handlers,
    mutationFn: (webhook: WebhookSave) => api<AlertWebhook>('PUT', '/v1/alert-webhook', webhook),
    onSuccess: (saved, webhook) => {
      handlers.onSuccess?.(saved, webhook);
      queryClient.setQueryData(keys.alertWebhook(), { ...saved, secret: undefined });
    },
  });
}

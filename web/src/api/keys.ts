/**
 * Every query key of the page, by feature, in one place: a page that changes something
 * invalidates the very keys the pages that show it read (event keys are in events.ts).
 */
export const keys = {
  me: () => ['me'] as const,
  setupPending: () => ['setup-pending'] as const,
  invite: (token: string | null) => ['invite', token] as const,
  alerts: {
    all: () => ['alerts'] as const,
    list: (status: string) => ['alerts', status] as const,
    openCount: () => ['alerts', 'open-count'] as const,
  },
  alertRules: () => ['alert-rules'] as const,
  alertWebhook: () => ['alert-webhook'] as const,
  exports: () => ['exports'] as const,
  otelExport: () => ['otel-export'] as const,
  members: () => ['members'] as const,
  invites: () => ['invites'] as const,
  apiKeys: () => ['api-keys'] as const,
  oauthClients: () => ['oauth-clients'] as const,
  retention: () => ['retention'] as const,
  checkpoints: { all: () => ['checkpoints'] as const, latest: () => ['checkpoints', 'latest'] as const },
  integrity: (entryId: string) => ['integrity', entryId] as const,
};

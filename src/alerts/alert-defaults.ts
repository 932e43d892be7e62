import type { CreateRuleInput } from './alert-rule.schemas.ts';

/** The rules every organization gets, enabled, when it is created; keyed by their `builtin` name. */
export const DEFAULT_RULES: Record<string, CreateRuleInput> = {
  failed_sign_ins: {
    name: 'Repeated failed sign-ins',
    filter: { type: ['login.failure'] },
    condition: { type: 'threshold', count: 5, window_minutes: 10, group_by: ['actor', 'ip'] },
    cooldown_minutes: 15,
    enabled: true,
    severity: 'high',
  },
  api_key_created: {
    name: 'New API key',
    filter: { type: ['api_key.created'] },
    condition: { type: 'any', group_by: ['target'] },
    cooldown_minutes: 15,
    enabled: true,
    severity: 'low',
  },
  privileged_role: {
    name: 'Someone was made owner or admin',
    filter: { type: ['user.role_changed'], metadata: { new_role: ['owner', 'admin'] } },
    condition: { type: 'any', group_by: ['target'] },
    cooldown_minutes: 15,
    enabled: true,
    severity: 'high',
  },
  sso_changed: {
    name: 'SSO settings changed',
    // Settings changes only: sso.login is a sign-in, not a change.
    filter: { type: ['oidc.configured', 'sso.configured', 'sso.enabled', 'sso.disabled'] },
    condition: { type: 'any', group_by: [] },
    cooldown_minutes: 15,
    enabled: true,
    severity: 'high',
  },
  denied_burst: {
    name: 'Repeated denied actions',
    filter: { result: ['denied'] },
    condition: { type: 'threshold', count: 10, window_minutes: 5, group_by: ['actor'] },
    cooldown_minutes: 15,
    enabled: true,
    severity: 'medium',
  },
};

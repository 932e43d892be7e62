import type { Kysely } from 'kysely';

/** The built-in SSO rule's filter as 0007 gave it (it matched every sso.login), and as narrowed here. */
const OLD_SSO_FILTER = JSON.stringify({ type: ['oidc.configured', 'sso.*'] });
const SSO_SETTINGS_TYPES = ['oidc.configured', 'sso.configured', 'sso.enabled', 'sso.disabled'];

/**
 * Alerts a person can read: a severity per rule (copied onto each alert), the group's name as
 * the entry said it (a person's name and email, a target's name), and the other groups that
 * the same incident raised (one alert per attack, not one per actor and one per IP). The
 * built-in SSO rule is narrowed to settings changes where it was never edited.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('alert_rules').addColumn('severity', 'text', (c) => c.notNull().defaultTo('medium')).execute();
  await db.schema.alterTable('alerts').addColumn('severity', 'text', (c) => c.notNull().defaultTo('medium')).execute();
  await db.schema.alterTable('alerts').addColumn('group_label', 'text').execute();
  // JSON array of {by, value, label}: further groups merged into this alert.
  await db.schema.alterTable('alerts').addColumn('related', 'text').execute();
  const severities: Record<string, string> = { failed_sign_ins: 'high', privileged_role: 'high', sso_changed: 'high', denied_burst: 'medium', api_key_created: 'low' };
  for (const [builtin, severity] of Object.entries(severities)) {
    await db.updateTable('alert_rules').set({ severity }).where('builtin', '=', builtin).execute();
  }
  await db
    .updateTable('alert_rules')
    .set((eb) => ({ filter: JSON.stringify({ type: SSO_SETTINGS_TYPES }), version: eb('version', '+', 1) }))
    .where('builtin', '=', 'sso_changed')
    .where('filter', '=', OLD_SSO_FILTER)
    .execute();
}

import { sql, type Kysely } from 'kysely';

/**
 * Alerts: rules per organization, the evaluator's durable state (a cursor per organization and
 * the matches inside each rule/group window, with its cooldown), the alerts it fired, and the
 * webhook each organization delivers them to.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('alert_rules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    // Which built-in default this row started as (null for a rule an admin created).
    .addColumn('builtin', 'text')
    .addColumn('filter', 'text', (c) => c.notNull())
    .addColumn('condition', 'text', (c) => c.notNull())
    .addColumn('cooldown_minutes', 'integer', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    // Bumped when the filter or condition changes: window state of an older version is ignored.
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('alert_rules_org').on('alert_rules').columns(['org_id', 'created_at']).execute();

  // One row per organization: the last seq evaluated, and whether the default rules were given.
  await db.schema
    .createTable('alert_state')
    .addColumn('org_id', 'text', (c) => c.primaryKey().references('orgs.id'))
    .addColumn('evaluated_seq', 'bigint', (c) => c.notNull())
    .addColumn('defaults_seeded', 'integer', (c) => c.notNull())
    .execute();
  await startExistingOrgs(db);

  await db.schema
    .createTable('alert_windows')
    .addColumn('rule_id', 'text', (c) => c.notNull())
    .addColumn('group_key', 'text', (c) => c.notNull())
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('rule_version', 'integer', (c) => c.notNull())
    // JSON array of {id, at}: the matching entries still inside the window, by occurred_at.
    .addColumn('matches', 'text', (c) => c.notNull())
    .addColumn('newest_at', 'bigint', (c) => c.notNull())
    .addColumn('cooldown_until', 'bigint')
    .addColumn('last_alert_id', 'text')
    .addPrimaryKeyConstraint('alert_windows_pk', ['rule_id', 'group_key'])
    .execute();
  await db.schema.createIndex('alert_windows_org_group').on('alert_windows').columns(['org_id', 'group_key']).execute();
  await db.schema.createIndex('alert_windows_org_newest').on('alert_windows').columns(['org_id', 'newest_at']).execute();

  await db.schema
    .createTable('alerts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
    .addColumn('rule_id', 'text', (c) => c.notNull())
    .addColumn('rule_name', 'text', (c) => c.notNull())
    .addColumn('group_by', 'text')
    .addColumn('group_value', 'text')
    .addColumn('count', 'integer', (c) => c.notNull())
    // Matches that came in during the cooldown after this alert: counted here instead of notifying again.
    .addColumn('suppressed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('window_minutes', 'integer')
    .addColumn('window_start', 'bigint', (c) => c.notNull())
    .addColumn('window_end', 'bigint', (c) => c.notNull())
    .addColumn('first_entry_id', 'text', (c) => c.notNull())
    .addColumn('last_entry_id', 'text', (c) => c.notNull())
    .addColumn('trigger_seq', 'bigint', (c) => c.notNull())
    .addColumn('link', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('acknowledged_at', 'bigint')
    .addColumn('acknowledged_by', 'text')
    // 0 until the alert.triggered entry is written and the webhook job queued (an outbox step after commit).
    .addColumn('dispatched', 'integer', (c) => c.notNull())
    .addColumn('webhook', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('alerts_org_status').on('alerts').columns(['org_id', 'status', 'created_at']).execute();
  await db.schema.createIndex('alerts_undispatched').on('alerts').columns(['dispatched']).execute();

  await db.schema
    .createTable('alert_webhooks')
    .addColumn('org_id', 'text', (c) => c.primaryKey().references('orgs.id'))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    // AES-256-GCM sealed (access/secret-box.ts); shown once when generated.
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

/**
 * Organizations that exist already start evaluating at their current head (no alerts on history);
 * their default rules are added by the alerts service on first use (defaults_seeded = 0).
 */
export async function startExistingOrgs(db: Kysely<any>): Promise<void> {
  await sql`INSERT INTO alert_state (org_id, evaluated_seq, defaults_seeded)
            SELECT orgs.id, coalesce(chain_heads.last_seq, 0), 0 FROM orgs LEFT JOIN chain_heads ON chain_heads.org_id = orgs.id`.execute(db);
}

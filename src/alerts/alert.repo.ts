import type { Database } from '../db/database.ts';
import { inTransaction, type Executor } from '../db/unit-of-work.ts';

/** The rows this module owns (migration 0007-alerts). */
export interface AlertRulesTable {
  id: string;
  org_id: string;
  name: string;
  builtin: string | null;
  filter: string;
  condition: string;
  cooldown_minutes: number;
  enabled: number;
  version: number;
  /** low, medium, high or critical (0014). */
  severity: string;
  created_at: number;
  updated_at: number;
}

export interface AlertStateTable {
  org_id: string;
  evaluated_seq: number;
  defaults_seeded: number;
}

export interface AlertWindowsTable {
  rule_id: string;
  group_key: string;
  org_id: string;
  rule_version: number;
  matches: string;
  newest_at: number;
  cooldown_until: number | null;
  last_alert_id: string | null;
}

export interface AlertsTable {
  id: string;
  org_id: string;
  rule_id: string;
  rule_name: string;
  group_by: string | null;
  group_value: string | null;
  count: number;
  suppressed: number;
  window_minutes: number | null;
  window_start: number;
  window_end: number;
  first_entry_id: string;
  last_entry_id: string;
  trigger_seq: number;
  link: string;
  status: string;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  dispatched: number;
  webhook: number;
  created_at: number;
  severity: string;
  /** The group's name as the triggering entry gave it (0014). */
  group_label: string | null;
  /** JSON array of AlertGroup: other groups of the same incident, merged into this alert (0014). */
  related: string | null;
}

export interface AlertWebhooksTable {
  org_id: string;
  url: string;
  enabled: number;
  secret: string;
  updated_at: number;
}

export type RuleRow = AlertRulesTable;
export type WindowRow = AlertWindowsTable;
export type AlertRow = AlertsTable;
export type WebhookRow = AlertWebhooksTable;

/** What one evaluated batch changes; written in one transaction with the cursor move. */
export interface BatchCommit {
  orgId: string;
  fromSeq: number;
  toSeq: number;
  upsertWindows: WindowRow[];
  deleteWindows: Array<{ rule_id: string; group_key: string }>;
  alerts: AlertRow[];
  /** Alert id -> matches counted on it during its cooldown. */
  suppressed: Map<string, number>;
  /** Alert id (committed before this batch) -> its new `related` JSON. */
  related: Map<string, string>;
  /** Windows of this organization untouched since before this time (occurred_at) are dropped. */
  pruneBefore: number;
}

/** SQL of the alerts module; only src/alerts calls it. */
export function createAlertRepo(database: Database) {
  type AlertTables = {
    alert_rules: AlertRulesTable;
    alert_state: AlertStateTable;
    alert_windows: AlertWindowsTable;
    alerts: AlertsTable;
    alert_webhooks: AlertWebhooksTable;
  };
  const db = database.db.withTables<AlertTables>();
  /** The caller's transaction (the unit of work), else the database. */
  const on = (tx?: Executor) => (tx ? tx.withTables<AlertTables>() : db);

  const rules = (orgId: string) => db.selectFrom('alert_rules').selectAll().where('org_id', '=', orgId).orderBy('created_at').orderBy('id').execute();
  const rule = (orgId: string, id: string) => db.selectFrom('alert_rules').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  const insertRule = async (row: RuleRow, tx?: Executor) => {
    await on(tx).insertInto('alert_rules').values(row).execute();
  };

  /** Saves an edited rule; a changed filter or condition (new version) drops its window state in the same transaction. */
  async function updateRule(row: RuleRow, versionChanged: boolean, tx?: Executor): Promise<void> {
    await inTransaction(on(tx), async (trx) => {
      await trx.updateTable('alert_rules').set(row).where('org_id', '=', row.org_id).where('id', '=', row.id).execute();
      if (versionChanged) await trx.deleteFrom('alert_windows').where('rule_id', '=', row.id).execute();
    });
  }

  async function deleteRule(orgId: string, id: string, tx?: Executor): Promise<boolean> {
    return inTransaction(on(tx), async (trx) => {
      const result = await trx.deleteFrom('alert_rules').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
      await trx.deleteFrom('alert_windows').where('rule_id', '=', id).execute();
      return Number(result.numDeletedRows) > 0;
    });
  }

  const state = (orgId: string) => db.selectFrom('alert_state').selectAll().where('org_id', '=', orgId).executeTakeFirst();

  /**
   * Gives an organization its default rules once: creates its state row (evaluation starting at
   * `headSeq`) if missing, inserts `defaults` unless they were given before. True if it inserted them.
   */
  async function seedDefaults(orgId: string, headSeq: number, defaults: RuleRow[], tx?: Executor): Promise<boolean> {
    return inTransaction(on(tx), async (trx) => {
      // Claimed by a compare-and-set, so two servers (or a request and the worker) seeding at once
      // insert the defaults once: the loser's update or insert changes no row.
      const claimed = await trx.updateTable('alert_state').set({ defaults_seeded: 1 })
        .where('org_id', '=', orgId).where('defaults_seeded', '=', 0).executeTakeFirst();
      if (Number(claimed.numUpdatedRows) === 0) {
        const inserted = await trx.insertInto('alert_state')
          .values({ org_id: orgId, evaluated_seq: headSeq, defaults_seeded: 1 })
          .onConflict((oc) => oc.column('org_id').doNothing()).executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return false;
      }
      if (defaults.length > 0) await trx.insertInto('alert_rules').values(defaults).execute();
      return true;
    });
  }

  /** The window states of an organization for the given group keys (all its rules). */
  async function windows(orgId: string, groupKeys: string[]): Promise<WindowRow[]> {
    const out: WindowRow[] = [];
    for (let i = 0; i < groupKeys.length; i += 500) {
      out.push(...(await db.selectFrom('alert_windows').selectAll().where('org_id', '=', orgId).where('group_key', 'in', groupKeys.slice(i, i + 500)).execute()));
    }
    return out;
  }

  /**
   * Writes a batch's window states and alerts and moves the cursor, all or nothing. The cursor
   * moves only from `fromSeq` (compare-and-set): false, and nothing written, if it was not there.
   */
  async function commitBatch(batch: BatchCommit, fence: (tx: Executor) => Promise<void>): Promise<boolean> {
    return inTransaction(db, async (trx) => {
      await fence(trx as unknown as Executor);
      const moved = await trx
        .updateTable('alert_state')
        .set({ evaluated_seq: batch.toSeq })
        .where('org_id', '=', batch.orgId)
        .where('evaluated_seq', '=', batch.fromSeq)
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) !== 1) return false;
      // Pruned before this batch's windows are written: a window it touched stays, however old its entries.
      await trx
        .deleteFrom('alert_windows')
        .where('org_id', '=', batch.orgId)
        .where('newest_at', '<', batch.pruneBefore)
        .where((eb) => eb.or([eb('cooldown_until', 'is', null), eb('cooldown_until', '<', batch.pruneBefore)]))
        .execute();
      for (const w of batch.deleteWindows) await trx.deleteFrom('alert_windows').where('rule_id', '=', w.rule_id).where('group_key', '=', w.group_key).execute();
      for (const w of batch.upsertWindows) {
        const { rule_id: _r, group_key: _g, ...rest } = w;
        await trx.insertInto('alert_windows').values(w).onConflict((oc) => oc.columns(['rule_id', 'group_key']).doUpdateSet(rest)).execute();
      }
      for (const alert of batch.alerts) await trx.insertInto('alerts').values(alert).execute();
      for (const [id, n] of batch.suppressed) {
        await trx.updateTable('alerts').set((eb) => ({ suppressed: eb('suppressed', '+', n) })).where('id', '=', id).execute();
      }
      for (const [id, related] of batch.related) await trx.updateTable('alerts').set({ related }).where('id', '=', id).execute();
      return true;
    });
  }

  async function alerts(orgId: string, status: string | undefined, limit: number): Promise<AlertRow[]> {
    let q = db.selectFrom('alerts').selectAll().where('org_id', '=', orgId);
    if (status) q = q.where('status', '=', status);
    return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  }

  async function openCount(orgId: string): Promise<number> {
    const row = await db.selectFrom('alerts').select((eb) => eb.fn.countAll<number>().as('n')).where('org_id', '=', orgId).where('status', '=', 'open').executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Open alerts of a rule whose window ended at or after `since`: an incident a new window may belong to. */
  const openAlertsOfRule = (orgId: string, ruleId: string, since: number) =>
    db.selectFrom('alerts').selectAll().where('org_id', '=', orgId).where('rule_id', '=', ruleId)
      .where('status', '=', 'open').where('window_end', '>=', since).orderBy('created_at', 'desc').limit(20).execute();

  const alert = (orgId: string, id: string) => db.selectFrom('alerts').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();

  /** Open -> acknowledged; false when it was not open. */
  async function acknowledge(orgId: string, id: string, by: string, at: number, tx?: Executor): Promise<boolean> {
    const result = await on(tx)
      .updateTable('alerts')
      .set({ status: 'acknowledged', acknowledged_at: at, acknowledged_by: by })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('status', '=', 'open')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Alerts of `orgIds` whose follow-up (system event, webhook job) is not done yet, oldest first. */
  async function undispatched(orgIds: string[], limit: number) {
    if (orgIds.length === 0) return [];
    return db
      .selectFrom('alerts')
      .selectAll()
      .where('dispatched', '=', 0)
      .where('org_id', 'in', orgIds)
      .orderBy('created_at')
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  async function markDispatched(ids: string[], webhook: boolean, tx?: Executor): Promise<void> {
    if (ids.length === 0) return;
    await on(tx).updateTable('alerts').set({ dispatched: 1, webhook: webhook ? 1 : 0 }).where('id', 'in', ids).execute();
  }

  /** The newest alerts that were sent to the webhook (for its delivery status). */
  const webhookAlerts = (orgId: string, limit: number) =>
    db.selectFrom('alerts').selectAll().where('org_id', '=', orgId).where('webhook', '=', 1).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();

  const webhook = (orgId: string) => db.selectFrom('alert_webhooks').selectAll().where('org_id', '=', orgId).executeTakeFirst();

  async function saveWebhook(row: WebhookRow, tx?: Executor): Promise<void> {
    const { org_id: _o, ...rest } = row;
    await on(tx).insertInto('alert_webhooks').values(row).onConflict((oc) => oc.column('org_id').doUpdateSet(rest)).execute();
  }

  /**
   * Erasure: alerts grouped by `value` (an actor or IP) show `marker` instead, and the windows
   * counting that group are dropped. Returns how many alerts changed.
   */
  async function eraseGroupValue(orgId: string, value: string, marker: string, tx?: Executor): Promise<number> {
    const grouped = await on(tx).selectFrom('alerts').select(['id', 'link']).where('org_id', '=', orgId)
      .where('group_value', '=', value).execute();
    for (const alert of grouped) {
      // The link to the matching entries filtered by the group (an actor's email or id, an IP): it no longer does.
      const url = new URL(alert.link, 'http://auditum.invalid');
      for (const name of ['actor', 'ip', 'target']) url.searchParams.delete(name);
      const link = `${url.pathname}${url.search}`;
      await on(tx).updateTable('alerts').set({ group_value: marker, group_label: marker, link }).where('id', '=', alert.id).execute();
    }
    const windows = await on(tx).selectFrom('alert_windows').select(['rule_id', 'group_key']).where('org_id', '=', orgId).execute();
    for (const w of windows.filter((row) => row.group_key.slice(row.group_key.indexOf(':') + 1) === value)) {
      await on(tx).deleteFrom('alert_windows').where('rule_id', '=', w.rule_id).where('group_key', '=', w.group_key).execute();
    }
    return grouped.length;
  }

  return {
    eraseGroupValue,
    rules, rule, insertRule, updateRule, deleteRule, state, seedDefaults, windows, commitBatch,
    alerts, openCount, openAlertsOfRule, alert, acknowledge, undispatched, markDispatched, webhookAlerts, webhook, saveWebhook,
  };
}

export type AlertRepo = ReturnType<typeof createAlertRepo>;

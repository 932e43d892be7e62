import type { FastifyRequest } from 'fastify';
import { changedFields } from '../events/changes.ts';
import { v7 as uuidv7 } from 'uuid';
import type { Principal } from '../access/principal.ts';
import type { SelfAudit } from '../access/self-audit.ts';
import { afterCommit, inTransaction, type Executor } from '../db/unit-of-work.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { EventStore } from '../events/event-store.ts';
import type { JobQueue } from '../jobs/job-queue.ts';
import { DEFAULT_RULES } from './alert-defaults.ts';
import type { AlertRepo, AlertRow, RuleRow } from './alert.repo.ts';
import { relatedOf } from './alert-incident.ts';
import { createRuleSchema, type AlertGroup, type AlertView, type CreateRule, type PatchRule, type RuleView } from './alert-rule.schemas.ts';

export const WEBHOOK_JOB = 'alert.webhook';
const SYSTEM_ACTOR = { id: 'auditum', type: 'system' as const };
const iso = (ms: number) => new Date(ms).toISOString();

export interface AlertServiceDeps {
  db: Executor;
  repo: AlertRepo;
  store: EventStore;
  selfAudit: SelfAudit;
  jobs: JobQueue;
  /** Attempts per webhook delivery before it is marked failed. */
  webhookMaxAttempts: number;
}

function ruleRow(orgId: string, input: CreateRule, builtin: string | null, now: number): RuleRow {
  return {
    id: uuidv7(),
    org_id: orgId,
    name: input.name,
    builtin,
    filter: JSON.stringify(input.filter),
    condition: JSON.stringify(input.condition),
    cooldown_minutes: input.cooldown_minutes,
    enabled: input.enabled ? 1 : 0,
    version: 1,
    severity: input.severity,
    created_at: now,
    updated_at: now,
  };
}

/** What an admin sets on a rule (its view without id and times), to record what an edit changed. */
function settingsOf(row: RuleRow) {
  const { id: _id, created_at: _created, updated_at: _updated, ...settings } = ruleView(row);
  return settings;
}

export function ruleView(row: RuleRow): RuleView {
  return {
    id: row.id,
    name: row.name,
    builtin: row.builtin,
    filter: JSON.parse(row.filter),
    condition: JSON.parse(row.condition),
    cooldown_minutes: row.cooldown_minutes,
    enabled: row.enabled === 1,
    severity: row.severity as RuleView['severity'],
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

/** Alert rules (with the built-in defaults), fired alerts and their acknowledgement, and the follow-up of each fired alert. */
export function createAlertService(deps: AlertServiceDeps) {
  const { repo, selfAudit } = deps;
  const seeded = new Set<string>();

  /** Gives the organization the default rules, once (at creation, or on first use for older organizations). */
  async function ensureDefaults(orgId: string, tx?: Executor): Promise<void> {
    if (seeded.has(orgId)) return;
    const now = Date.now();
    const rows = Object.entries(DEFAULT_RULES).map(([key, rule], i) => ({
      ...ruleRow(orgId, createRuleSchema.parse(rule), key, now),
      created_at: now + i,
    }));
    await repo.seedDefaults(orgId, (await deps.store.head(orgId, tx)).lastSeq, rows, tx);
    if (tx) afterCommit(tx, () => seeded.add(orgId));
    else seeded.add(orgId);
  }

  async function listRules(orgId: string): Promise<RuleView[]> {
    await ensureDefaults(orgId);
    return (await repo.rules(orgId)).map(ruleView);
  }

  async function getRule(orgId: string, id: string): Promise<RuleView> {
    const row = await repo.rule(orgId, id);
    if (!row) throw new NotFoundError('alert rule');
    return ruleView(row);
  }

  /** Records a rule change in the change's own transaction. */
  async function audit(
    orgId: string, actor: Principal['actor'], action: string, row: RuleRow, request: FastifyRequest | undefined, tx: Executor, old?: RuleRow,
  ) {
    const changes = old ? changedFields(settingsOf(old), settingsOf(row)) : undefined;
    const event = {
      type: 'settings.updated',
      action,
      target: { type: 'alert_rule', id: row.id, name: row.name },
      metadata: { setting: 'alert_rule', enabled: row.enabled === 1, ...(changes ? { changes } : {}) },
    };
    await selfAudit(orgId, actor, event, request, tx);
  }

  async function createRule(orgId: string, input: CreateRule, actor: Principal['actor'], request?: FastifyRequest): Promise<RuleView> {
    await ensureDefaults(orgId);
    const row = ruleRow(orgId, input, null, Date.now());
    await inTransaction(deps.db, async (tx) => {
      await repo.insertRule(row, tx);
      await audit(orgId, actor, `Created alert rule "${row.name}"`, row, request, tx);
    });
    return ruleView(row);
  }

  async function updateRule(orgId: string, id: string, patch: PatchRule, actor: Principal['actor'], request?: FastifyRequest): Promise<RuleView> {
    const old = await repo.rule(orgId, id);
    if (!old) throw new NotFoundError('alert rule');
    const filter = patch.filter !== undefined ? JSON.stringify(patch.filter) : old.filter;
    const condition = patch.condition !== undefined ? JSON.stringify(patch.condition) : old.condition;
    const versionChanged = filter !== old.filter || condition !== old.condition;
    const row: RuleRow = {
      ...old,
      name: patch.name ?? old.name,
      filter,
      condition,
      cooldown_minutes: patch.cooldown_minutes ?? old.cooldown_minutes,
      enabled: patch.enabled === undefined ? old.enabled : patch.enabled ? 1 : 0,
      severity: patch.severity ?? old.severity,
      version: old.version + (versionChanged ? 1 : 0),
      updated_at: Date.now(),
    };
    const what = row.enabled !== old.enabled ? (row.enabled ? 'Enabled' : 'Disabled') : 'Updated';
    await inTransaction(deps.db, async (tx) => {
      await repo.updateRule(row, versionChanged, tx);
      await audit(orgId, actor, `${what} alert rule "${row.name}"`, row, request, tx, old);
    });
    return ruleView(row);
  }

  async function deleteRule(orgId: string, id: string, actor: Principal['actor'], request?: FastifyRequest): Promise<void> {
    const row = await repo.rule(orgId, id);
    if (!row) throw new NotFoundError('alert rule');
    await inTransaction(deps.db, async (tx) => {
      if (!(await repo.deleteRule(orgId, id, tx))) throw new NotFoundError('alert rule');
      await audit(orgId, actor, `Deleted alert rule "${row.name}"`, { ...row, enabled: 0 }, request, tx);
    });
  }

  async function alertView(row: AlertRow): Promise<AlertView> {
    const job = row.webhook === 1 ? await deps.jobs.get(row.id) : undefined;
    return {
      id: row.id,
      rule: { id: row.rule_id, name: row.rule_name },
      group_key: row.group_by && row.group_value !== null ? `${row.group_by}:${row.group_value}` : null,
      group: groupOf(row),
      related: relatedOf(row),
      severity: row.severity as AlertView['severity'],
      count: row.count,
      suppressed: row.suppressed,
      window: { start: iso(row.window_start), end: iso(row.window_end), minutes: row.window_minutes },
      first_entry_id: row.first_entry_id,
      last_entry_id: row.last_entry_id,
      link: row.link,
      status: row.status as AlertView['status'],
      acknowledged_at: row.acknowledged_at === null ? null : iso(row.acknowledged_at),
      acknowledged_by: row.acknowledged_by,
      created_at: iso(row.created_at),
      webhook: job ? { state: job.state, attempts: job.attempts, last_error: job.lastError, updated_at: iso(job.updatedAt) } : null,
    };
  }

  async function listAlerts(orgId: string, status: 'open' | 'acknowledged' | undefined, limit: number) {
    const rows = await repo.alerts(orgId, status, limit);
    return { alerts: await Promise.all(rows.map(alertView)), open_count: await repo.openCount(orgId) };
  }

  async function getAlert(orgId: string, id: string): Promise<AlertView> {
    const row = await repo.alert(orgId, id);
    if (!row) throw new NotFoundError('alert');
    return alertView(row);
  }

  /** Marks an open alert acknowledged by the caller; records `alert.acknowledged` with the caller as actor. */
  async function acknowledge(orgId: string, id: string, actor: Principal['actor'], request?: FastifyRequest): Promise<AlertView> {
    const row = await repo.alert(orgId, id);
    if (!row) throw new NotFoundError('alert');
    const event = {
      type: 'alert.acknowledged',
      action: `Acknowledged alert "${row.rule_name}"`,
      target: { type: 'alert', id: row.id, name: row.rule_name },
      metadata: { rule_id: row.rule_id },
    };
    await inTransaction(deps.db, async (tx) => {
      const done = await repo.acknowledge(orgId, id, actor.email ?? actor.id, Date.now(), tx);
      if (!done) throw new ConflictError('this alert is already acknowledged');
      await selfAudit(orgId, actor, event, request, tx);
    });
    return getAlert(orgId, id);
  }

  /**
   * The follow-up of fired alerts, after the evaluator committed them: the `alert.triggered`
   * entry (its id is the alert's, so a repeat after a crash is a no-op) and the webhook job
   * (its id is the alert's too). Resolves to how many alerts it handled.
   */
  async function dispatchPending(orgIds: string[], limit = 100): Promise<number> {
    const pending = await repo.undispatched(orgIds, limit);
    const byOrg = new Map<string, typeof pending>();
    for (const row of pending) byOrg.set(row.org_id, [...(byOrg.get(row.org_id) ?? []), row]);
    // One append per organization: a burst of alerts costs one transaction, not one each. Ids make a redo after a
    // crash a no-op; the entries, the webhook jobs and the mark commit together.
    for (const [orgId, rows] of byOrg) {
      // Read before the transaction: on SQLite its one connection is the transaction's until it ends.
      const send = (await repo.webhook(orgId))?.enabled === 1;
      const queued = new Set<string>();
      for (const row of rows) if (send && (await deps.jobs.get(row.id))) queued.add(row.id);
      await inTransaction(deps.db, async (tx) => {
        await selfAudit.many(orgId, SYSTEM_ACTOR, rows.map(triggeredEntry), tx);
        for (const row of rows.filter((r) => send && !queued.has(r.id))) {
          const job = { id: row.id, kind: WEBHOOK_JOB, orgId, payload: { alert_id: row.id }, maxAttempts: deps.webhookMaxAttempts };
          await deps.jobs.enqueue(job, tx);
        }
        await repo.markDispatched(rows.map((row) => row.id), send, tx);
      });
    }
    return pending.length;
  }

  return { ensureDefaults, listRules, getRule, createRule, updateRule, deleteRule, listAlerts, getAlert, acknowledge, dispatchPending };
}

export type AlertService = ReturnType<typeof createAlertService>;

function groupOf(row: AlertRow): AlertGroup | null {
  if (!row.group_by || row.group_value === null) return null;
  return { by: row.group_by as AlertGroup['by'], value: row.group_value, label: row.group_label };
}

/** "Dana Smith <dana@example.com>", "IP 10.0.0.7", "target user:u-2" */
export function groupText(group: AlertGroup): string {
  if (group.label) return group.label;
  return group.by === 'ip' ? `IP ${group.value}` : `${group.by} ${group.value}`;
}

/** Where an alert.triggered entry names the group it fired for (erasure-plan.ts). */
export const ALERT_GROUP_PATHS = ['action', 'metadata.group_key', 'metadata.group_label'] as const;

/** The `alert.triggered` entry of a fired alert; its id is the alert's. */
function triggeredEntry(row: AlertRow) {
  const groupKey = row.group_by && row.group_value !== null ? `${row.group_by}:${row.group_value}` : null;
  const group = groupOf(row);
  const matching = `${row.count} matching ${row.count === 1 ? 'entry' : 'entries'}`;
  return {
    id: row.id,
    type: 'alert.triggered',
    // A fired alert is a warning, not a success: the page colours and filters it as one.
    result: 'warning' as const,
    action: `Alert "${row.rule_name}": ${matching}${group ? ` for ${groupText(group)}` : ''}`,
    target: { type: 'alert', id: row.id, name: row.rule_name },
    // The group (a person, an IP) is named in the action and metadata: committed so an erasure can remove it.
    ...(group ? { personal: [...ALERT_GROUP_PATHS] } : {}),
    metadata: {
      rule_id: row.rule_id,
      group_key: groupKey,
      group_label: row.group_label,
      severity: row.severity,
      count: row.count,
      window_start: iso(row.window_start),
      window_end: iso(row.window_end),
      first_entry_id: row.first_entry_id,
      last_entry_id: row.last_entry_id,
    },
  };
}

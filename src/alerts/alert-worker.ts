import type { FastifyBaseLogger } from 'fastify';
import { createWakeLoop, FOLLOWER_GAP_MS } from '../jobs/wake-loop.ts';
import { failedRoundDelayMs } from '../jobs/retry-backoff.ts';
import { v7 as uuidv7 } from 'uuid';
import type { EventStore } from '../events/event-store.ts';
import type { OrgService } from '../orgs/org.service.ts';
import { addMatch, isIdle, type RuleSpec, type WindowState } from './alert-evaluator.ts';
import { alertLink } from './alert-link.ts';
import { addRelated, incidentOf } from './alert-incident.ts';
import type { AlertRepo, AlertRow, RuleRow, WindowRow } from './alert.repo.ts';
import { conditionSchema, ruleFilterSchema, type Condition, type RuleFilter } from './alert-rule.schemas.ts';
import type { AlertService } from './alert.service.ts';
import { compileFilter, groupsOf, type EntryMatcher, type Group } from './rule-matcher.ts';
import type { TaskLeases } from '../work/work-engine.ts';
import { whileLeased, type Lease } from '../work/work.repo.ts';

export interface AlertWorkerDeps {
  repo: AlertRepo;
  service: AlertService;
  store: EventStore;
  orgs: OrgService;
  logger: FastifyBaseLogger;
  /** Which organizations this server evaluates: one server per organization at a time, so windows are evaluated once. */
  leases: TaskLeases;
  /** Safety net for entries appended by another process (the CLI). */
  pollIntervalMs?: number;
  batchSize?: number;
}

/** Entries Auditum writes about alerts are never evaluated: an alert must not trigger alerts. */
const OWN_TYPES = new Set(['alert.triggered', 'alert.acknowledged']);
const BATCHES_PER_ROUND = 20;
const MINUTE = 60_000;
/** The longest window a rule may have (7 days): window rows untouched for longer are dropped. */
const MAX_WINDOW_MS = 7 * 24 * 60 * MINUTE;

interface CompiledRule {
  row: RuleRow;
  filter: RuleFilter;
  condition: Condition;
  matches: EntryMatcher;
  spec: RuleSpec;
}

function compile(row: RuleRow): CompiledRule {
  const filter = ruleFilterSchema.parse(JSON.parse(row.filter));
  const condition = conditionSchema.parse(JSON.parse(row.condition));
  const spec: RuleSpec =
    condition.type === 'any'
      ? { count: 1, windowMs: 0, cooldownMs: row.cooldown_minutes * MINUTE }
      : { count: condition.count, windowMs: condition.window_minutes * MINUTE, cooldownMs: row.cooldown_minutes * MINUTE };
  return { row, filter, condition, matches: compileFilter(filter), spec };
}

const windowId = (ruleId: string, groupKey: string) => `${ruleId}\u0000${groupKey}`;

/**
 * Follows each organization's chain by seq with a durable cursor and evaluates the enabled rules
 * on every entry. A batch's window states, fired alerts, cooldowns and the cursor move commit in
 * one transaction, so a crash re-evaluates the batch from the same state (no double firing, no
 * missed window). Fired alerts are then dispatched (system event, webhook job) by the service.
 * Runs on timers after ingest has committed: ingest never waits for it.
 */
export function createAlertWorker(deps: AlertWorkerDeps) {
  const { repo, store, logger } = deps;
  const pollIntervalMs = deps.pollIntervalMs ?? 1000;
  const batchSize = deps.batchSize ?? 500;
  const compiled = new Map<string, CompiledRule>();
  let unsubscribe: (() => void) | undefined;
  /** Organizations with new entries since their last evaluation; the poll (every pollIntervalMs) walks them all. */
  const pending = new Set<string>();
  let fullRound = true;
  let lastFullRoundAt = 0;
  const loop = createWakeLoop(
    async () => ((await round()) ? 0 : pollIntervalMs),
    (error, failures) => {
      const delay = failedRoundDelayMs(failures, pollIntervalMs);
      logger.error({ err: error, failures, retryInMs: delay }, 'alert evaluation round failed; will retry');
      return delay;
    },
    { minGapMs: FOLLOWER_GAP_MS },
  );
  const wake = loop.wake;

  /** New entries of `orgId` (appended here or on another server); undefined: maybe any organization's. */
  function notice(orgId: string | undefined) {
    if (orgId === undefined) fullRound = true;
    else pending.add(orgId);
    wake();
  }

  /** One pass; true when an organization has more entries waiting than a pass evaluates. */
  async function round(): Promise<boolean> {
    let more = false;
    // Under steady ingest the poll timer keeps being reset: a full pass is still made once per interval.
    if (Date.now() - lastFullRoundAt >= pollIntervalMs) fullRound = true;
    const wanted = fullRound ? undefined : new Set(pending);
    if (fullRound) lastFullRoundAt = Date.now();
    fullRound = false;
    pending.clear();
    const held = await deps.leases.claim(await deps.orgs.ids());
    for (const lease of held) {
      const { orgId } = lease;
      if (wanted && !wanted.has(orgId)) continue;
      if (loop.stopped) return more;
      await deps.service.ensureDefaults(orgId);
      await whileLeased(async () => {
        for (let i = 0; i < BATCHES_PER_ROUND && !loop.stopped; i++) {
          if (!(await evaluateBatch(lease))) break;
          if (i === BATCHES_PER_ROUND - 1) {
            more = true;
            pending.add(orgId);
          }
        }
      });
    }
    const mine = held.map((lease) => lease.orgId);
    while (!loop.stopped && (await deps.service.dispatchPending(mine)) > 0);
    return more;
  }

  function rulesOf(rows: RuleRow[]): CompiledRule[] {
    return rows
      .filter((r) => r.enabled === 1)
      .map((row) => {
        const cached = compiled.get(row.id);
        if (cached && cached.row.version === row.version && cached.row.updated_at === row.updated_at) return cached;
        const rule = compile(row);
        compiled.set(row.id, rule);
        return rule;
      });
  }

  /** Evaluates the next batch of one organization's entries; false when it was caught up. */
  async function evaluateBatch(lease: Lease): Promise<boolean> {
    const { orgId } = lease;
    const state = await repo.state(orgId);
    if (!state) return false;
    const fromSeq = Number(state.evaluated_seq);
    const entries = await store.bySeq(orgId, fromSeq, batchSize);
    if (entries.length === 0) return false;
    const rules = rulesOf(await repo.rules(orgId));
    // Match first, then load only the window states this batch touches.
    type Hit = { entry: (typeof entries)[number]; at: number; rule: CompiledRule; group: Group; keys: Set<string> };
    const hits: Hit[] = [];
    let newestAt = Number.NEGATIVE_INFINITY;
    for (const entry of entries) {
      if (OWN_TYPES.has(entry.type)) continue;
      const at = Date.parse(entry.occurred_at);
      newestAt = Math.max(newestAt, at);
      for (const rule of rules) {
        if (!rule.matches(entry)) continue;
        const groups = groupsOf(entry, rule.condition.group_by);
        const keys = new Set(groups.map((g) => g.key));
        for (const group of groups) hits.push({ entry, at, rule, group, keys });
      }
    }
    const windows = new Map<string, WindowRow>();
    for (const w of await repo.windows(orgId, [...new Set(hits.map((h) => h.group.key))])) windows.set(windowId(w.rule_id, w.group_key), w);
    const dirty = new Set<string>();
    const alerts: AlertRow[] = [];
    const suppressed = new Map<string, number>();
    const related = new Map<string, string>();
    /** Open alerts read from the database in this batch, by id, so merges into one accumulate. */
    const known = new Map<string, AlertRow>();
    const countedOnce = new Set<string>();
    const now = Date.now();

    /** The alert of the same incident a firing joins: one fired in this batch, else an open one stored. */
    async function incident(hit: Hit, windowStart: number): Promise<AlertRow | undefined> {
      const { rule, group, keys } = hit;
      if (!group.by) return undefined;
      const inBatch = incidentOf(alerts, rule.row.id, group, keys, windowStart, rule.spec.windowMs);
      if (inBatch) return inBatch;
      const stored = await repo.openAlertsOfRule(orgId, rule.row.id, windowStart - rule.spec.windowMs);
      const rows = stored.map((r) => known.get(r.id) ?? (known.set(r.id, r), r));
      return incidentOf(rows, rule.row.id, group, keys, windowStart, rule.spec.windowMs);
    }

    for (const hit of hits) {
      const { entry, at, rule, group } = hit;
      const id = windowId(rule.row.id, group.key);
      const row = windows.get(id);
      const previous = row && row.rule_version === rule.row.version ? fromRow(row) : undefined;
      const { state: next, outcome } = addMatch(rule.spec, previous, { id: entry.id, at });
      const first = outcome.kind === 'fire' ? outcome.matches[0]! : undefined;
      const joined = first ? await incident(hit, first.at) : undefined;
      const countedKey = `${outcome.kind === 'suppressed' ? outcome.alertId : ''}\u0000${entry.id}`;
      if (outcome.kind === 'fire' && joined) {
        addRelated(joined, group);
        if (!alerts.includes(joined)) related.set(joined.id, joined.related!);
        next.lastAlertId = joined.id;
      } else if (outcome.kind === 'fire') {
        const last = outcome.matches[outcome.matches.length - 1]!;
        const alert: AlertRow = {
          id: uuidv7(),
          org_id: orgId,
          rule_id: rule.row.id,
          rule_name: rule.row.name,
          group_by: group.by,
          group_value: group.value,
          count: outcome.matches.length,
          suppressed: 0,
          window_minutes: rule.condition.type === 'threshold' ? rule.condition.window_minutes : null,
          window_start: first!.at,
          window_end: last.at,
          first_entry_id: first!.id,
          last_entry_id: last.id,
          trigger_seq: entry.seq,
          link: alertLink(rule.filter, group, first!.at, last.at),
          status: 'open',
          acknowledged_at: null,
          acknowledged_by: null,
          dispatched: 0,
          webhook: 0,
          created_at: now,
          severity: rule.row.severity,
          group_label: group.label,
          related: null,
        };
        alerts.push(alert);
        next.lastAlertId = alert.id;
      } else if (outcome.kind === 'suppressed' && outcome.alertId && !countedOnce.has(countedKey)) {
        // An entry in two groups of one incident (its actor and its IP) is counted on the alert once.
        countedOnce.add(countedKey);
        const inBatch = alerts.find((a) => a.id === outcome.alertId);
        if (inBatch) inBatch.suppressed += 1;
        else suppressed.set(outcome.alertId, (suppressed.get(outcome.alertId) ?? 0) + 1);
      }
      windows.set(id, toRow(orgId, rule.row, group.key, next));
      dirty.add(id);
    }
    const upsertWindows: WindowRow[] = [];
    const deleteWindows: Array<{ rule_id: string; group_key: string }> = [];
    for (const id of dirty) {
      const row = windows.get(id)!;
      if (isIdle(fromRow(row), newestAt)) deleteWindows.push({ rule_id: row.rule_id, group_key: row.group_key });
      else upsertWindows.push(row);
    }
    const toSeq = entries[entries.length - 1]!.seq;
    const pruneBefore = Number.isFinite(newestAt) ? newestAt - MAX_WINDOW_MS : Number.NEGATIVE_INFINITY;
    const batch = { orgId, fromSeq, toSeq, upsertWindows, deleteWindows, alerts, suppressed, related, pruneBefore: Number.isFinite(pruneBefore) ? pruneBefore : 0 };
    const committed = await repo.commitBatch(batch, (tx) => deps.leases.fence(tx, lease));
    if (!committed) {
      logger.warn({ orgId, fromSeq }, 'alert cursor moved underneath the evaluator; batch will be re-read');
      return false;
    }
    if (alerts.length > 0) logger.info({ orgId, alerts: alerts.length }, 'alerts fired');
    return true;
  }

  return {
    /** Starts following the chains; each append wakes it. */
    start() {
      if (!loop.stopped) return;
      unsubscribe = store.onAppend(notice);
      fullRound = true;
      loop.start();
    },
    wake,
    notice,
    /** Stops after the batch in progress (its transaction either committed or did not). */
    async stop() {
      unsubscribe?.();
      await loop.stop();
    },
  };
}

function toRow(orgId: string, rule: RuleRow, groupKey: string, state: WindowState): WindowRow {
  return {
    rule_id: rule.id,
    group_key: groupKey,
    org_id: orgId,
    rule_version: rule.version,
    matches: JSON.stringify(state.matches),
    newest_at: Number.isFinite(state.newestAt) ? state.newestAt : 0,
    cooldown_until: state.cooldownUntil,
    last_alert_id: state.lastAlertId,
  };
}

function fromRow(row: WindowRow): WindowState {
  return { matches: JSON.parse(row.matches), newestAt: Number(row.newest_at), cooldownUntil: row.cooldown_until === null ? null : Number(row.cooldown_until), lastAlertId: row.last_alert_id };
}

export type AlertWorker = ReturnType<typeof createAlertWorker>;

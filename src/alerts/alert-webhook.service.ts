import { relatedOf } from './alert-incident.ts';
import { changedFields } from '../events/changes.ts';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../access/principal.ts';
import type { SecretBox } from '../access/secret-box.ts';
import { randomToken } from '../access/secrets.ts';
import type { SelfAudit } from '../access/self-audit.ts';
import { inTransaction, type Executor } from '../db/unit-of-work.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import type { JobQueue } from '../jobs/job-queue.ts';
import type { JobHandler } from '../jobs/job-runner.ts';
import { PermanentJobError } from '../jobs/job-runner.ts';
import type { OrgService } from '../orgs/org.service.ts';
import { assertUrlAllowed, type OutboundClient } from '../outbound/outbound-client.ts';
import { isMaskedUrl, maskedUrl } from '../outbound/url-mask.ts';
import type { AlertRepo, AlertRow, WebhookRow } from './alert.repo.ts';
import type { WebhookView } from './alert-rule.schemas.ts';
import { sendWebhook } from './webhook-sender.ts';
import { openWebhookUrl, sealWebhookUrl } from './webhook-url.ts';

export interface AlertWebhookDeps {
  db: Executor;
  repo: AlertRepo;
  secrets: SecretBox;
  jobs: JobQueue;
  orgs: OrgService;
  selfAudit: SelfAudit;
  outbound: OutboundClient;
}

const iso = (ms: number) => new Date(ms).toISOString();
const secretContext = (orgId: string) => `alert-webhook-secret:${orgId}`;
const RECENT_DELIVERIES = 20;

/** The JSON body POSTed for an alert (documented in the README). */
export function webhookPayload(alert: AlertRow, org: { id: string; slug: string }, baseUrl: string) {
  return {
    type: 'alert.triggered',
    id: alert.id,
    org: { id: org.id, slug: org.slug },
    rule: { id: alert.rule_id, name: alert.rule_name },
    group_key: alert.group_by && alert.group_value !== null ? `${alert.group_by}:${alert.group_value}` : null,
    group_label: alert.group_label,
    related: relatedOf(alert),
    severity: alert.severity,
    count: alert.count,
    window: { start: iso(alert.window_start), end: iso(alert.window_end), minutes: alert.window_minutes },
    first_entry_id: alert.first_entry_id,
    last_entry_id: alert.last_entry_id,
    link: `${baseUrl}${alert.link}`,
    triggered_at: iso(alert.created_at),
  };
}

/**
 * The organization's alert webhook: URL, enabled, a signing secret generated here and shown once.
 * The URL is stored encrypted and shown (in views and the audit log) as scheme and host only;
 * sending that masked form back keeps the stored URL.
 */
export function createAlertWebhookService(deps: AlertWebhookDeps) {
  const { repo, secrets } = deps;

  async function view(row: WebhookRow, secret?: string): Promise<WebhookView> {
    const deliveries = [];
    for (const alert of await repo.webhookAlerts(row.org_id, RECENT_DELIVERIES)) {
      const job = await deps.jobs.get(alert.id);
      deliveries.push({
        alert_id: alert.id,
        rule_name: alert.rule_name,
        state: job?.state ?? 'unknown',
        attempts: job?.attempts ?? 0,
        last_error: job?.lastError ?? null,
        updated_at: iso(job?.updatedAt ?? alert.created_at),
      });
    }
    const url = maskedUrl(openWebhookUrl(secrets, row.org_id, row.url));
    return { url, enabled: row.enabled === 1, ...(secret ? { secret } : {}), updated_at: iso(row.updated_at), deliveries };
  }

  async function get(orgId: string): Promise<WebhookView> {
    const row = await repo.webhook(orgId);
    if (!row) throw new NotFoundError('alert webhook');
    return view(row);
  }

  /** The URL to store: the one given, or the stored one when the given one is its masked form. */
  function urlToStore(orgId: string, given: string, existing: WebhookRow | undefined): string {
    if (!isMaskedUrl(given)) return given;
    const stored = existing ? openWebhookUrl(secrets, orgId, existing.url) : undefined;
    if (stored !== undefined && new URL(maskedUrl(stored)).href === new URL(given).href) return stored;
    const problem = 'is a masked URL that does not match the stored one; send the whole URL';
    throw new ValidationError(`invalid request body: url ${problem}`, [{ path: 'url', field: 'url', message: problem }]);
  }

  /** Sets the URL and enabled flag; generates the secret on first configuration or when asked, and returns it that once. */
  async function put(orgId: string, input: { url: string; enabled: boolean; rotate_secret: boolean }, actor: Principal['actor'], request?: FastifyRequest): Promise<WebhookView> {
    const existing = await repo.webhook(orgId);
    const url = urlToStore(orgId, input.url, existing);
    assertUrlAllowed(deps.outbound, 'url', url);
    const urlChanged = !existing || openWebhookUrl(secrets, orgId, existing.url) !== url;
    const secret = !existing || input.rotate_secret ? `whsec_${randomToken()}` : undefined;
    const row: WebhookRow = {
      org_id: orgId,
      url: sealWebhookUrl(secrets, orgId, url),
      enabled: input.enabled ? 1 : 0,
      secret: secret ? secrets.seal(secret, secretContext(orgId)) : existing!.secret,
      updated_at: Date.now(),
    };
    const event = {
      type: 'settings.updated',
      action: `${existing ? 'Updated' : 'Configured'} the alert webhook${input.enabled ? '' : ' (disabled)'}${secret && existing ? '; new signing secret' : ''}`,
      target: { type: 'alert_webhook', id: orgId },
      // Scheme and host only: the path often is the hook's secret, and the log is readable with events:read.
      metadata: {
        setting: 'alert_webhook',
        url: maskedUrl(url),
        url_changed: urlChanged,
        enabled: input.enabled,
        secret_rotated: secret !== undefined,
        changes: changedFields(
          existing ? { enabled: existing.enabled === 1, url: maskedUrl(openWebhookUrl(secrets, orgId, existing.url)) } : {},
          { enabled: input.enabled, url: maskedUrl(url) },
        ),
      },
    };
    await inTransaction(deps.db, async (tx) => {
      await repo.saveWebhook(row, tx);
      await deps.selfAudit(orgId, actor, event, request, tx);
    });
    return view(row, secret);
  }

  /** The job handler for `alert.webhook`: one signed POST per attempt; the job runner retries with backoff. */
  function handler(options: { baseUrl: () => string; timeoutMs: number }): JobHandler {
    return async (job, { signal }) => {
      const orgId = job.orgId;
      const alertId = (job.payload as { alert_id: string }).alert_id;
      if (!orgId) throw new PermanentJobError('job has no organization');
      const alert = await repo.alert(orgId, alertId);
      if (!alert) throw new PermanentJobError('the alert no longer exists');
      const hook = await repo.webhook(orgId);
      if (!hook || hook.enabled !== 1) throw new PermanentJobError('the alert webhook is not configured or disabled');
      const org = await deps.orgs.byId(orgId);
      const body = JSON.stringify(webhookPayload(alert, org, options.baseUrl()));
      await sendWebhook(deps.outbound, {
        url: openWebhookUrl(secrets, orgId, hook.url),
        secret: secrets.open(hook.secret, secretContext(orgId)),
        body,
        alertId,
        signal,
        timeoutMs: options.timeoutMs,
      });
    };
  }

  return { get, put, handler };
}

export type AlertWebhookService = ReturnType<typeof createAlertWebhookService>;

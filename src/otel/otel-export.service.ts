import type { FastifyRequest } from 'fastify';
import type { Principal } from '../access/principal.ts';
import type { SecretBox } from '../access/secret-box.ts';
import type { SelfAudit } from '../access/self-audit.ts';
import { inTransaction, type Executor } from '../db/unit-of-work.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import type { EventStore } from '../events/event-store.ts';
import type { OrgService } from '../orgs/org.service.ts';
import { orgResource, testLogRecord } from './log-record-mapping.ts';
import type { DeliveryRow, DestinationRow, OtelExportRepo } from './otel-export.repo.ts';
import { MASK, type OtelExportView, type PutOtelExport, type TestOtelExport } from './otel-export.schemas.ts';
import type { OtlpProtocol, OtlpSender, SendOutcome } from './otlp-sender.ts';
import { assertUrlAllowed, type OutboundClient } from '../outbound/outbound-client.ts';

/** A destination as the worker needs it: header values decrypted. */
export interface DeliveryTarget {
  orgId: string;
  url: string;
  protocol: OtlpProtocol;
  headers: Record<string, string>;
  maxBatchSize: number;
  configVersion: number;
}

export interface OtelExportDeps {
  db: Executor;
  repo: OtelExportRepo;
  store: EventStore;
  orgs: OrgService;
  secrets: SecretBox;
  sender: OtlpSender;
  /** For the outbound policy's verdict on a URL being saved. */
  outbound: OutboundClient;
  selfAudit: SelfAudit;
  /** Called after a configuration change, so the worker retries at once instead of after its backoff. */
  onConfigured?: (orgId: string) => void;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const headerContext = (orgId: string, name: string) => `otel-header:${orgId}:${name.toLowerCase()}`;

/** OTLP export settings per organization: read (masked), replace, and send a test record. */
export function createOtelExportService(deps: OtelExportDeps) {
  const { repo, store, secrets } = deps;

  function sealedHeaders(row: DestinationRow): Record<string, string> {
    return JSON.parse(row.headers) as Record<string, string>;
  }

  /** The decrypted destination for delivery. */
  function target(row: DestinationRow): DeliveryTarget {
    const headers: Record<string, string> = {};
    for (const [name, sealed] of Object.entries(sealedHeaders(row))) headers[name] = secrets.open(sealed, headerContext(row.org_id, name));
    return { orgId: row.org_id, url: row.endpoint_url, protocol: row.protocol as OtlpProtocol, headers, maxBatchSize: row.max_batch_size, configVersion: row.config_version };
  }

  async function view(row: DestinationRow, delivery: DeliveryRow | undefined): Promise<OtelExportView> {
    const { lastSeq } = await store.head(row.org_id);
    const deliveredSeq = Number(delivery?.delivered_seq ?? 0);
    const failing = delivery?.last_error_at != null;
    const lastSuccess = delivery?.last_success_at ?? null;
    return {
      endpoint_url: row.endpoint_url,
      headers: Object.fromEntries(Object.keys(sealedHeaders(row)).map((name) => [name, MASK])) as Record<string, typeof MASK>,
      max_batch_size: row.max_batch_size,
      protocol: row.protocol as OtlpProtocol,
      enabled: row.enabled === 1,
      start: row.start,
      updated_at: new Date(row.updated_at).toISOString(),
      status: {
        state: row.enabled !== 1 ? 'disabled' : failing ? 'failing' : lastSuccess !== null ? 'ok' : 'idle',
        last_error: failing
          ? {
              at: iso(delivery!.last_error_at)!,
              http_status: delivery!.last_error_status,
              kind: delivery!.last_error_status === null ? 'network' : 'http',
              message: delivery!.last_error_message ?? '',
            }
          : null,
        last_success_at: iso(lastSuccess),
        delivered_seq: deliveredSeq,
        pending: Math.max(0, lastSeq - deliveredSeq),
        rejected_log_records: {
          total: Number(delivery?.rejected_total ?? 0),
          last_at: iso(delivery?.last_rejected_at ?? null),
          last_count: delivery?.last_rejected_count ?? null,
          last_message: delivery?.last_rejected_message ?? null,
        },
      },
    };
  }

  /** The organization's export settings and delivery status; 404 when none are configured. */
  async function get(orgId: string): Promise<OtelExportView> {
    const row = await repo.destination(orgId);
    if (!row) throw new NotFoundError('OTLP export configuration');
    return view(row, await repo.delivery(orgId));
  }

  /** Where delivery starts for `start`: the seq after which entries are sent. */
  async function cursorFor(orgId: string, start: string): Promise<number> {
    const { lastSeq } = await store.head(orgId);
    if (start === 'now') return lastSeq;
    const first = await store.firstSeqReceivedFrom(orgId, Date.parse(start));
    return first === undefined ? lastSeq : first - 1;
  }

  /** The header values to send: given ones as they are, "****" ones decrypted from the stored configuration. */
  function headerValues(orgId: string, input: Record<string, string>, existing: DestinationRow | undefined) {
    const stored = Object.entries(existing ? sealedHeaders(existing) : {});
    const byLower = new Map(stored.map(([name, sealed]) => [name.toLowerCase(), { name, sealed }]));
    const values: Record<string, string> = {};
    for (const [name, value] of Object.entries(input)) {
      if (value !== MASK) {
        values[name] = value;
        continue;
      }
      const old = byLower.get(name.toLowerCase());
      if (!old) {
        const problem = `is "${MASK}" but no value is stored for it; send the value`;
        throw new ValidationError(`invalid request body: headers.${name} ${problem}`, [
          { path: `headers.${name}`, field: `headers.${name}`, message: problem },
        ]);
      }
      values[name] = secrets.open(old.sealed, headerContext(orgId, old.name));
    }
    return values;
  }

  /** Replaces the configuration; masked header values keep the stored secret. Records `otel_export.configured`. */
  async function put(orgId: string, input: PutOtelExport, actor: Principal['actor'], request?: FastifyRequest): Promise<OtelExportView> {
    assertUrlAllowed(deps.outbound, 'endpoint_url', input.endpoint_url);
    const existing = await repo.destination(orgId);
    const headers: Record<string, string> = {};
    // Sealed under the name as now spelled, since the name is part of the ciphertext's context.
    for (const [name, value] of Object.entries(headerValues(orgId, input.headers, existing))) {
      headers[name] = secrets.seal(value, headerContext(orgId, name));
    }
    // A new destination starts now unless told otherwise; an update keeps its place unless `start` is sent.
    const start = input.start ?? (existing ? undefined : 'now');
    const cursor = start === undefined ? undefined : await cursorFor(orgId, start);
    const row = {
      org_id: orgId,
      endpoint_url: input.endpoint_url,
      protocol: input.protocol,
      headers: JSON.stringify(headers),
      max_batch_size: input.max_batch_size,
      enabled: input.enabled ? 1 : 0,
      start: start ?? existing!.start,
      updated_at: Date.now(),
    };
    const event = {
      type: 'otel_export.configured',
      action: `${existing ? 'Updated' : 'Configured'} OTLP log export to ${input.endpoint_url}${input.enabled ? '' : ' (disabled)'}`,
      target: { type: 'otel_export', id: orgId },
      // Header names only: values are secrets and never enter the log.
      metadata: {
        endpoint_url: input.endpoint_url,
        protocol: input.protocol,
        max_batch_size: input.max_batch_size,
        enabled: input.enabled,
        start: start ?? null,
        header_names: Object.keys(headers),
      },
    };
    await inTransaction(deps.db, async (tx) => {
      await repo.saveDestination(row, cursor, tx);
      await deps.selfAudit(orgId, actor, event, request, tx);
    });
    deps.onConfigured?.(orgId);
    return get(orgId);
  }

  /**
   * Sends one clearly marked test record, enabled or not, to `input` (form values not saved yet) or
   * else to the stored destination, through the same outbound policy as delivery. The answer gives
   * a short reason, never the receiver's body.
   */
  async function sendTest(orgId: string, input?: TestOtelExport) {
    const row = await repo.destination(orgId);
    if (!input && !row) throw new NotFoundError('OTLP export configuration');
    const to = input
      ? { url: input.endpoint_url, protocol: input.protocol, headers: headerValues(orgId, input.headers, row) }
      : target(row!);
    const org = await deps.orgs.byId(orgId);
    const records = [testLogRecord(orgResource(org))];
    return testResult(await deps.sender.send({ url: to.url, protocol: to.protocol, headers: to.headers, records }));
  }

  return { get, put, sendTest, target };
}

export type OtelExportService = ReturnType<typeof createOtelExportService>;

function testResult(outcome: SendOutcome) {
  if (!outcome.ok) return { ok: false, http_status: outcome.status, message: outcome.message, rejected_log_records: 0 };
  const rejected = outcome.rejectedLogRecords;
  const message = rejected > 0 ? 'the receiver rejected the test record (partial success)' : null;
  return { ok: true, http_status: outcome.status, message, rejected_log_records: rejected };
}

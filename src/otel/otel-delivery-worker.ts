import type { FastifyBaseLogger } from 'fastify';
import type { EventStore } from '../events/event-store.ts';
import type { OrgService } from '../orgs/org.service.ts';
import { entryToLogRecord, orgResource } from './log-record-mapping.ts';
import type { OtelExportRepo } from './otel-export.repo.ts';
import type { OtelExportService } from './otel-export.service.ts';
import { encodeLogs, type OtlpSender, type SendOutcome } from './otlp-sender.ts';
import { failedRoundDelayMs, retryDelayMs } from '../jobs/retry-backoff.ts';
import { createWakeLoop, FOLLOWER_GAP_MS } from '../jobs/wake-loop.ts';
import type { TaskLeases } from '../work/work-engine.ts';
import { whileLeased, type Lease } from '../work/work.repo.ts';

export interface OtelDeliveryWorkerDeps {
  repo: OtelExportRepo;
  store: EventStore;
  orgs: OrgService;
  service: OtelExportService;
  sender: OtlpSender;
  logger: FastifyBaseLogger;
  /** Which destinations this server delivers for: one server per organization at a time, so delivery keeps seq order. */
  leases: TaskLeases;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Safety net for entries appended by another process (the CLI), which do not fire onAppend here. */
  pollIntervalMs?: number;
}

/** Statuses the OTLP spec (and common proxies) use for "try again later"; the batch is resent with backoff. */
const TRANSIENT_STATUSES = new Set([429, 500, 502, 503, 504]);
/** Any other refusal will not fix itself: retried this slowly until the configuration changes. */
export const PERMANENT_ERROR_RETRY_MS = 5 * 60 * 1000;
/** Batches one destination may send per round before the others get their turn. */
const BATCHES_PER_ROUND = 20;

interface OrgState {
  configVersion: number;
  failures: number;
  nextAttemptAt: number;
}

/**
 * Follows each enabled destination's cursor through its organization's chain and sends the
 * entries after it, in seq order and batches of at most max_batch_size, as OTLP logs. The
 * cursor moves only after the receiver accepted a batch, so a crash, restart or outage resends
 * rather than skips (at least once). Runs on timers and async I/O: ingest never waits for it.
 */
export function createOtelDeliveryWorker(deps: OtelDeliveryWorkerDeps) {
  const { repo, store, logger } = deps;
  const pollIntervalMs = deps.pollIntervalMs ?? 1000;
  const states = new Map<string, OrgState>();
  let abort = new AbortController();
  let unsubscribe: (() => void) | undefined;
  const loop = createWakeLoop(round, (error, failures) => {
    const delay = failedRoundDelayMs(failures, pollIntervalMs);
    logger.error({ err: error, failures, retryInMs: delay }, 'otel export round failed; will retry');
    return delay;
  }, { minGapMs: FOLLOWER_GAP_MS });
  const wake = loop.wake;

  /** One pass over the enabled destinations; resolves to the delay until the next pass is due. */
  async function round(): Promise<number> {
    let next = pollIntervalMs;
    const destinations = await repo.enabledDestinations();
    const held = new Map((await deps.leases.claim(destinations.map((row) => row.org_id))).map((l) => [l.orgId, l]));
    for (const row of destinations) {
      const lease = held.get(row.org_id);
      if (loop.stopped) break;
      if (!lease) continue;
      let state = states.get(row.org_id);
      // A changed configuration may have fixed the problem: retry it at once.
      if (!state || state.configVersion !== row.config_version) {
        state = { configVersion: row.config_version, failures: 0, nextAttemptAt: 0 };
        states.set(row.org_id, state);
      }
      const now = Date.now();
      if (now < state.nextAttemptAt) {
        next = Math.min(next, state.nextAttemptAt - now);
        continue;
      }
      let more = false;
      await whileLeased(async () => {
        more = await deliver(lease, state);
      });
      if (more) next = 0;
      else if (state.nextAttemptAt > Date.now()) next = Math.min(next, state.nextAttemptAt - Date.now());
    }
    return next;
  }

  /** Sends batches for one organization until it is caught up, fails, or used its turn; true if more are waiting. */
  async function deliver(lease: Lease, state: OrgState): Promise<boolean> {
    const { orgId } = lease;
    const row = await repo.destination(orgId);
    if (!row || row.enabled !== 1 || row.config_version !== state.configVersion) return true;
    const target = deps.service.target(row);
    const resource = orgResource(await deps.orgs.byId(orgId));
    /** Reads and encodes the batch after `afterSeq`; runs while the previous batch is at the receiver. */
    const prepare = async (afterSeq: number) => {
      const entries = await store.bySeq(orgId, afterSeq, target.maxBatchSize);
      const body = entries.length > 0 ? encodeLogs(target.protocol, entries.map((entry) => entryToLogRecord(entry, resource))) : undefined;
      return { entries, body };
    };
    let fromSeq = Number((await repo.delivery(orgId))?.delivered_seq ?? 0);
    let next = prepare(fromSeq);
    try {
      return await sendBatches();
    } finally {
      // A batch read ahead but not sent is dropped; if reading it failed, the next round reads it again and reports.
      next.catch((error: unknown) => logger.debug({ err: error, orgId }, 'discarded read-ahead batch failed'));
    }

    async function sendBatches(): Promise<boolean> {
      for (let batch = 0; batch < BATCHES_PER_ROUND; batch++) {
        const { entries, body } = await next;
        if (loop.stopped || entries.length === 0) return false;
        if (!body) throw new Error(`could not encode the entries after seq ${fromSeq} as OTLP`);
        const sending = deps.sender.send({ url: target.url, protocol: target.protocol, headers: target.headers, records: body, signal: abort.signal });
        const lastSeq = entries.at(-1)!.seq;
        next = prepare(lastSeq);
        const outcome = await sending;
        if (loop.stopped) return false;
        const at = Date.now();
        if (outcome.ok) {
          state.failures = 0;
          state.nextAttemptAt = 0;
          const rejected = { count: outcome.rejectedLogRecords, message: outcome.partialMessage };
          const moved = await repo.recordSuccess(orgId, { fromSeq, toSeq: lastSeq, at }, rejected, (tx) => deps.leases.fence(tx, lease));
          if (outcome.rejectedLogRecords > 0) logger.warn({ orgId, rejected: outcome.rejectedLogRecords, message: outcome.partialMessage }, 'otel receiver rejected some log records');
          // A reconfiguration moved the cursor meanwhile: start the next round from where it now is.
          if (!moved) return true;
          fromSeq = lastSeq;
          continue;
        }
        state.failures += 1;
        const delay = failureDelay(outcome, state.failures);
        state.nextAttemptAt = at + delay;
        await repo.recordError(orgId, at, outcome.status, outcome.message);
        const failed = { orgId, status: outcome.status, error: outcome.message, detail: outcome.detail, retryInMs: delay };
        logger.warn(failed, 'otel export failed; will retry');
        return false;
      }
      return true;
    }
  }

  function failureDelay(outcome: Exclude<SendOutcome, { ok: true }>, failures: number): number {
    if (outcome.kind === 'http' && !TRANSIENT_STATUSES.has(outcome.status)) return PERMANENT_ERROR_RETRY_MS;
    // The outbound policy is fixed until a restart; DNS may change, but not every few seconds.
    if (outcome.kind === 'network' && outcome.reason === 'not_allowed') return PERMANENT_ERROR_RETRY_MS;
    return retryDelayMs({
      attempt: failures,
      baseMs: deps.retryBaseMs,
      maxMs: deps.retryMaxMs,
      ...(outcome.kind === 'http' && outcome.retryAfterMs !== undefined ? { retryAfterMs: outcome.retryAfterMs } : {}),
    });
  }

  return {
    /** Starts following the chains; new entries and configuration changes wake it at once. */
    start() {
      if (!loop.stopped) return;
      abort = new AbortController();
      unsubscribe = store.onAppend(() => wake());
      loop.start();
    },
    /** Nudges the worker (after a configuration change). */
    wake,
    /** Stops: cancels an in-flight request (it will be resent after restart) and waits for the round to end. */
    async stop() {
      unsubscribe?.();
      const stopping = loop.stop();
      abort.abort();
      await stopping;
    },
  };
}

export type OtelDeliveryWorker = ReturnType<typeof createOtelDeliveryWorker>;

import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config.ts';
import type { Services } from './main.ts';
import { createAlertWorker } from './alerts/alert-worker.ts';
import { WEBHOOK_JOB } from './alerts/alert.service.ts';
import { partitionTask } from './db/partition-upkeep.ts';
import { APPEND_CHANNEL } from './events/event-store.ts';
import { startSearchIndexing } from './events/search-indexing.ts';
import { createExportJobHandler, EXPORT_JOB_KIND, exportFailedHook } from './exports/export-job.ts';
import { exportSweepTask } from './exports/export-sweep.ts';
import { createErasureJobHandler, erasureFailedHook } from './erasure/erasure-job.ts';
import { ERASURE_JOB_KIND } from './erasure/erasure.service.ts';
import { checkpointTask, startCheckpointTrigger } from './integrity/checkpoint-schedule.ts';
import { startJobRunner, type JobHandler } from './jobs/job-runner.ts';
import { createOtelDeliveryWorker } from './otel/otel-delivery-worker.ts';
import { retentionTask } from './retention/retention-schedule.ts';
import { createWorkEngine } from './work/work-engine.ts';
import { serverId } from './work/server-id.ts';
import { startSchedules, type ScheduledTask } from './work/schedules.ts';

/** How often expired export files are looked for. */
const EXPORT_SWEEP_INTERVAL_MS = 10 * 60_000;

/**
 * Everything the server does besides answering requests, on the one background-work engine:
 * per-organization tasks under leases (search indexing, alert evaluation, OTLP delivery), jobs
 * (exports, alert webhooks), durable schedules (retention, checkpoints, export expiry,
 * partitions). Safe with N servers on one database. stop() hands the leases back.
 */
export function startBackgroundWork(deps: {
  config: Config;
  services: Services;
  logger: FastifyBaseLogger;
  /** Where this server answers (links in webhooks; the cluster status). */
  baseUrl: () => string;
}) {
  const { config, services, logger } = deps;
  const { database } = services;
  const { workRepo } = services;
  const engine = createWorkEngine({ repo: workRepo, logger, serverId: serverId(config.dataDir), leaseTtlMs: config.workLeaseMs });
  engine.start(deps.baseUrl());

  const otelWorker = createOtelDeliveryWorker({
    repo: services.otelRepo,
    store: services.store,
    orgs: services.orgs,
    service: services.otelExport,
    sender: services.otlpSender,
    logger,
    leases: engine.leases('otel'),
    retryBaseMs: config.otelRetryBaseMs,
    retryMaxMs: config.otelRetryMaxMs,
  });
  services.otelHooks.onConfigured = () => otelWorker.wake();
  otelWorker.start();
  const alertWorker = createAlertWorker({
    repo: services.alertRepo,
    service: services.alerts,
    store: services.store,
    orgs: services.orgs,
    logger,
    leases: engine.leases('alerts'),
  });
  alertWorker.start();

  // Each module that queues background work registers its handler here, by job kind.
  const jobHandlers: Record<string, JobHandler> = {
    [WEBHOOK_JOB]: services.alertWebhook.handler({ baseUrl: deps.baseUrl, timeoutMs: config.alertWebhookTimeoutMs }),
    [EXPORT_JOB_KIND]: exportJobHandler(services, config, logger),
    [ERASURE_JOB_KIND]: createErasureJobHandler({
      database, repo: services.erasureRepo, store: services.store, exports: services.exports, alerts: services.alertRepo,
      retention: services.retention, selfAudit: services.selfAudit, logger,
    }),
  };
  const orgIds = services.orgs.ids;
  const scheduled: ScheduledTask[] = [
    partitionTask(database),
    exportSweepTask({ exports: services.exports, intervalMs: EXPORT_SWEEP_INTERVAL_MS, logger }),
    retentionTask({ retention: services.retention, orgIds, intervalMs: config.retentionIntervalMs, logger }),
    ...(config.checkpointIntervalSeconds > 0
      ? [checkpointTask({ checkpoints: services.checkpoints, orgIds, intervalSeconds: config.checkpointIntervalSeconds, logger })]
      : []),
  ];
  const indexing = startSearchIndexing(database, services.indexer, {
    dataDir: config.dataDir,
    sync: config.sqliteSync,
    batchSize: config.searchIndexBatch,
    intervalMs: config.searchIndexIntervalMs,
    leases: engine.leases('search'),
  }, logger);
  // Appends here and on the other servers wake the followers of the chains; their polls are the fallback.
  const noticeAppend = (orgId: string | undefined) => {
    indexing.wake();
    otelWorker.wake();
    alertWorker.notice(orgId);
  };
  const unsubscribe = services.store.onAppend(() => indexing.wake());
  const listener = database.listen(APPEND_CHANNEL, (payload) => noticeAppend(payload?.slice(0, payload.lastIndexOf(':'))));
  const tasks = [
    startJobRunner({
      queue: services.jobs,
      holder: engine.serverId,
      // As long as a task lease: a dead server's job is taken over as soon as its organizations' work is.
      leaseMs: config.workLeaseMs,
      handlers: jobHandlers,
      onFailed: { [EXPORT_JOB_KIND]: exportFailedHook(services.exportRepo), [ERASURE_JOB_KIND]: erasureFailedHook(services.erasureRepo) },
      logger,
      retryBaseMs: config.jobRetryBaseMs,
    }),
    indexing,
    otelWorker,
    alertWorker,
    startSchedules({ repo: workRepo, serverId: engine.serverId, tasks: scheduled, logger }),
    startCheckpointTrigger({
      checkpoints: services.checkpoints,
      store: services.store,
      orgIds,
      everyEntries: config.checkpointEveryEntries,
      logger,
    }),
  ];

  return {
    /** Stops every task (each finishes or abandons what it is doing), then hands the leases back. */
    async stop() {
      unsubscribe();
      await listener.close();
      await Promise.all(tasks.map((t) => t.stop()));
      await engine.stop();
    },
  };
}

/** The export job's handler over these services (the server's runner, and `auditum export`'s own). */
export function exportJobHandler(services: Services, config: Config, logger: FastifyBaseLogger): JobHandler {
  return createExportJobHandler({
    repo: services.exportRepo,
    query: services.query,
    store: services.store,
    files: services.exportFiles,
    ttlMs: config.exportTtlHours * 3_600_000,
    logger,
  });
}

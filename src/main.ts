import fs from 'node:fs';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config.ts';
import { openDatabase, type Database } from './db/database.ts';
import { createApiKeyService } from './access/api-key.service.ts';
import { createSecretBox } from './access/secret-box.ts';
import { createSelfAudit } from './access/self-audit.ts';
import { createEventQuery } from './events/event-query.ts';
import { createEventStore } from './events/event-store.ts';
import { createSearchIndexer } from './events/search-indexer.ts';
import { createAuthGuard } from './http/auth.ts';
import { createServer } from './http/server.ts';
import { ingestRoutes } from './ingest/ingest.routes.ts';
import { createIntegrityService } from './integrity/integrity.service.ts';
import { integrityRoutes } from './integrity/integrity.routes.ts';
import { startSearchIndexThread } from './events/search-index-thread.ts';
import { createLogger } from './log.ts';
import { createOrgService } from './orgs/org.service.ts';
import { queryRoutes } from './query/query.routes.ts';
import { createOtelDeliveryWorker } from './otel/otel-delivery-worker.ts';
import { createOtelExportRepo } from './otel/otel-export.repo.ts';
import { otelExportRoutes } from './otel/otel-export.routes.ts';
import { createOtelExportService } from './otel/otel-export.service.ts';
import { createOtlpSender } from './otel/otlp-sender.ts';

/** The services, built from one database; the CLI uses these without starting a server. */
export function createServices(database: Database, config: Config) {
  const store = createEventStore(database);
  const indexer = createSearchIndexer(database, { batchSize: config.searchIndexBatch });
  const query = createEventQuery(database);
  const orgs = createOrgService({ database });
  const apiKeys = createApiKeyService({ database });
  const integrity = createIntegrityService({ store });
  const selfAudit = createSelfAudit({ store });
  const otelRepo = createOtelExportRepo(database);
  const otlpSender = createOtlpSender(config.otelCaFile ? { ca: fs.readFileSync(config.otelCaFile) } : {});
  // The worker is built later (startApp); a configuration change wakes it through this hook.
  const otelHooks = { onConfigured: (_orgId: string) => {} };
  const otelExport = createOtelExportService({
    repo: otelRepo,
    store,
    orgs,
    secrets: createSecretBox({ dataDir: config.dataDir }),
    sender: otlpSender,
    selfAudit,
    onConfigured: (orgId) => otelHooks.onConfigured(orgId),
  });
  return { database, store, indexer, query, orgs, apiKeys, integrity, selfAudit, otelRepo, otlpSender, otelHooks, otelExport };
}

export type Services = ReturnType<typeof createServices>;

export interface RunningApp {
  services: Services;
  url: string;
  /** Stops accepting requests, finishes in-flight ones, stops background work, closes the database. */
  close(): Promise<void>;
}

/** Composition root: config -> database -> services -> HTTP server + background tasks. */
export async function startApp(config: Config, logger: FastifyBaseLogger = createLogger(config.logLevel)): Promise<RunningApp> {
  const database = await openDatabase({ dataDir: config.dataDir, sync: config.sqliteSync });
  const services = createServices(database, config);
  const auth = createAuthGuard([async (token) => (token.startsWith('adt_') ? services.apiKeys.authenticate(token) : null)]);

  const app = await createServer({ logger, bodyLimit: config.bodyLimit });
  ingestRoutes(app, { store: services.store, auth });
  queryRoutes(app, { store: services.store, query: services.query, auth });
  integrityRoutes(app, { integrity: services.integrity, auth });
  otelExportRoutes(app, { otelExport: services.otelExport, auth });

  const address = await app.listen({ port: config.port, host: config.host });
  const otelWorker = createOtelDeliveryWorker({
    repo: services.otelRepo,
    store: services.store,
    orgs: services.orgs,
    service: services.otelExport,
    sender: services.otlpSender,
    logger,
    retryBaseMs: config.otelRetryBaseMs,
    retryMaxMs: config.otelRetryMaxMs,
  });
  services.otelHooks.onConfigured = () => otelWorker.wake();
  otelWorker.start();
  const tasks = [
    startSearchIndexThread({ dataDir: config.dataDir, sync: config.sqliteSync, batchSize: config.searchIndexBatch, intervalMs: config.searchIndexIntervalMs }, logger),
    otelWorker,
  ];
  logger.info({ address, dataDir: config.dataDir }, 'auditum listening');

  let closing: Promise<void> | undefined;
  return {
    services,
    url: address.replace('0.0.0.0', '127.0.0.1'),
    close() {
      closing ??= (async () => {
        await app.close();
        await Promise.all(tasks.map((t) => t.stop()));
        await database.adapter.optimize(database.db);
        await database.close();
      })();
      return closing;
    },
  };
}

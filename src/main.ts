import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config.ts';
import { openDatabase, type Database } from './db/database.ts';
import { createApiKeyService } from './access/api-key.service.ts';
import { createSelfAudit } from './access/self-audit.ts';
import { createEventQuery } from './events/event-query.ts';
import { createEventStore } from './events/event-store.ts';
import { createSearchIndexer } from './events/search-indexer.ts';
import { createAuthGuard } from './http/auth.ts';
import { createServer } from './http/server.ts';
import { ingestRoutes } from './ingest/ingest.routes.ts';
import { createIntegrityService } from './integrity/integrity.service.ts';
import { integrityRoutes } from './integrity/integrity.routes.ts';
import { createCheckpointService } from './integrity/checkpoint.service.ts';
import { checkpointRoutes } from './integrity/checkpoint.routes.ts';
import { startCheckpointSchedule } from './integrity/checkpoint-schedule.ts';
import { openSigningKeys } from './integrity/signing-keys.ts';
import { createRetentionService } from './retention/retention.service.ts';
import { retentionRoutes } from './retention/retention.routes.ts';
import { startRetentionSchedule } from './retention/retention-schedule.ts';
import { startSearchIndexThread } from './events/search-index-thread.ts';
import { createLogger } from './log.ts';
import { createOrgService } from './orgs/org.service.ts';
import { queryRoutes } from './query/query.routes.ts';

/** The services, built from one database; the CLI uses these without starting a server. */
export function createServices(database: Database, config: Config) {
  const store = createEventStore(database);
  const indexer = createSearchIndexer(database, { batchSize: config.searchIndexBatch });
  const query = createEventQuery(database);
  const orgs = createOrgService({ database });
  const apiKeys = createApiKeyService({ database });
  const selfAudit = createSelfAudit({ store });
  const retention = createRetentionService({ database, selfAudit });
  const integrity = createIntegrityService({ store, anchors: retention });
  const keys = openSigningKeys(config.dataDir);
  const checkpoints = createCheckpointService({ database, store, integrity, orgs, keys });
  return { database, store, indexer, query, orgs, apiKeys, integrity, selfAudit, retention, keys, checkpoints };
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
  integrityRoutes(app, { integrity: services.checkpoints, auth });
  checkpointRoutes(app, { checkpoints: services.checkpoints, keys: services.keys, auth });
  retentionRoutes(app, { retention: services.retention, auth });
  // The first start generates the checkpoint signing key.
  services.keys.active();

  const address = await app.listen({ port: config.port, host: config.host });
  const tasks = [
    startSearchIndexThread({ dataDir: config.dataDir, sync: config.sqliteSync, batchSize: config.searchIndexBatch, intervalMs: config.searchIndexIntervalMs }, logger),
    startRetentionSchedule({ retention: services.retention, orgIds: services.orgs.ids, intervalMs: config.retentionIntervalMs, logger }),
    startCheckpointSchedule({
      checkpoints: services.checkpoints,
      store: services.store,
      orgIds: services.orgs.ids,
      intervalSeconds: config.checkpointIntervalSeconds,
      everyEntries: config.checkpointEveryEntries,
      logger,
    }),
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

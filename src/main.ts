import fs from 'node:fs';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config.ts';
import { openDatabase, type Database } from './db/database.ts';
import { startBackgroundWork } from './background.ts';
import { createClusterStatus } from './work/cluster-status.ts';
import { clusterRoutes, type Readiness } from './work/cluster.routes.ts';
import { LIVE_WITHIN_MS } from './work/work-engine.ts';
import { createWorkRepo } from './work/work.repo.ts';
import { createApiKeyService } from './access/api-key.service.ts';
import { createSecretBox } from './access/secret-box.ts';
import { createSelfAudit } from './access/self-audit.ts';
import { authRoutes } from './access/auth.routes.ts';
import { credentialsRoutes } from './access/credentials.routes.ts';
import { createBlockedSignIns } from './access/blocked-sign-ins.ts';
import { createDeviceCookies } from './access/device-cookie.ts';
import { createInviteService } from './access/invite.service.ts';
import { createMemoryLoginLimitStore } from './access/login-limit-store.ts';
import { createLoginLimits } from './access/login-limits.ts';
import { membersRoutes } from './access/members.routes.ts';
import { createSessionService } from './access/session.service.ts';
import { createSetupService } from './access/setup.service.ts';
import { createTokenService } from './access/token.service.ts';
import { createUserService } from './access/user.service.ts';
import { settingsRoutes } from './orgs/settings.routes.ts';
import { webPageRoutes } from './web/web-page.ts';
import { createEventQuery } from './events/event-query.ts';
import { createHistogram } from './query/histogram.ts';
import { createEventStore } from './events/event-store.ts';
import { createSearchIndexer } from './events/search-indexer.ts';
import { createAuthGuard } from './http/auth.ts';
import { createServer } from './http/server.ts';
import { ingestRoutes } from './ingest/ingest.routes.ts';
import { otlpIngestRoutes } from './ingest/otlp-ingest.routes.ts';
import { createGroupCommit } from './ingest/group-commit.ts';
import { createIntegrityService } from './integrity/integrity.service.ts';
import { integrityRoutes } from './integrity/integrity.routes.ts';
import { createCheckpointService } from './integrity/checkpoint.service.ts';
import { checkpointRoutes } from './integrity/checkpoint.routes.ts';
import { createSigningKeys } from './integrity/signing-keys.ts';
import { openKeyring } from './keys/keyring.ts';
import { createRetentionService } from './retention/retention.service.ts';
import { retentionRoutes } from './retention/retention.routes.ts';
import { createJobQueue } from './jobs/job-queue.ts';
import { createLogger } from './log.ts';
import { createOrgService } from './orgs/org.service.ts';
import { queryRoutes } from './query/query.routes.ts';
import { createViewRecorder } from './query/view-recorder.ts';
import { streamRoutes } from './query/stream.routes.ts';
import { createOtelExportRepo } from './otel/otel-export.repo.ts';
import { otelExportRoutes } from './otel/otel-export.routes.ts';
import { createOtelExportService } from './otel/otel-export.service.ts';
import { createOtlpSender } from './otel/otlp-sender.ts';
import { createOutboundClient } from './outbound/outbound-client.ts';
import { createOutboundPolicy } from './outbound/outbound-policy.ts';
import { createAlertRepo } from './alerts/alert.repo.ts';
import { alertRoutes } from './alerts/alert.routes.ts';
import { createAlertService } from './alerts/alert.service.ts';
import { createAlertWebhookService } from './alerts/alert-webhook.service.ts';
import { createExportFiles } from './exports/export-files.ts';
import { createExportRepo } from './exports/export.repo.ts';
import { exportRoutes } from './exports/export.routes.ts';
import { createExportService } from './exports/export.service.ts';
import { createErasureRepo } from './erasure/erasure.repo.ts';
import { erasureRoutes } from './erasure/erasure.routes.ts';
import { createErasureService, subjectKeyFrom } from './erasure/erasure.service.ts';

/** Sign-in limits (see login-limits.ts): the account-wide backoff, and how long a device or IP stays known. */
const LOGIN_BACKOFF_BASE_MS = 250;
const LOGIN_BACKOFF_MAX_MS = 4000;
const KNOWN_IP_MS = 30 * 86_400_000;
const DEVICE_COOKIE_MS = 365 * 86_400_000;
/** Refused sign-ins are summed up in one audit entry per account at most this often. */
const BLOCKED_SUMMARY_PERIOD_MS = 60_000;

/**
 * The services, built from one database; the CLI uses these without starting a server. Opens the
 * keyring first: key material that cannot be opened stops here.
 */
export async function createServices(database: Database, config: Config) {
  const keyring = await openKeyring({ database, dataDir: config.dataDir, settings: config });
  const store = createEventStore(database);
  const ingest = createGroupCommit({ database, store, options: { maxQueuedEvents: config.ingestQueueMaxEvents } });
  const indexer = createSearchIndexer(database, { batchSize: config.searchIndexBatch });
  const query = createEventQuery(database);
  const orgs = createOrgService({ database });
  const apiKeys = createApiKeyService({ database });
  const selfAudit = createSelfAudit({ store });
  const retention = createRetentionService({ database, selfAudit });
  const integrity = createIntegrityService({ store, anchors: retention });
  const keys = createSigningKeys({ keyring });
  const checkpoints = createCheckpointService({ database, store, integrity, orgs, keys });
  const users = createUserService({ database });
  const minute = 60_000;
  const signingKey = keyring.current('token_signing');
  const windowMs = config.loginWindowMinutes * minute;
  // In memory: right while one process answers sign-ins; several servers need a shared LoginLimitStore.
  const loginStore = createMemoryLoginLimitStore({ windowMs, knownIpMs: KNOWN_IP_MS });
  const limits = createLoginLimits({
    store: loginStore,
    options: {
      maxFailures: config.loginMaxFailures,
      maxFailuresPerIp: config.loginMaxFailuresPerIp,
      windowMs,
      backoffBaseMs: LOGIN_BACKOFF_BASE_MS,
      backoffMaxMs: LOGIN_BACKOFF_MAX_MS,
    },
  });
  const devices = createDeviceCookies({ signingKey, ttlMs: DEVICE_COOKIE_MS });
  const sessions = createSessionService({
    database,
    users,
    limits,
    devices,
    options: { idleMs: config.sessionIdleMinutes * minute, maxAgeMs: config.sessionMaxDays * 24 * 60 * minute },
  });
  const invites = createInviteService({ database, users, ttlMs: config.inviteTtlHours * 60 * minute });
  const tokens = createTokenService({ database, key: signingKey, accessTokenTtlSeconds: config.accessTokenTtlSeconds });
  const setup = createSetupService({ database, users, orgs });
  const jobs = createJobQueue(database);
  const otelRepo = createOtelExportRepo(database);
  // Every outbound request (OTLP export, alert webhooks) goes through one of these clients and the one policy;
  // only OTLP receivers are verified against AUDITUM_OTEL_CA_FILE.
  const outboundPolicy = createOutboundPolicy({ allow: config.outboundAllow, deny: config.outboundDeny });
  const outbound = createOutboundClient({ policy: outboundPolicy });
  const otlpClient = createOutboundClient({
    policy: outboundPolicy,
    ...(config.otelCaFile ? { ca: fs.readFileSync(config.otelCaFile) } : {}),
  });
  const otlpSender = createOtlpSender({ client: otlpClient });
  // The worker is built later (startApp); a configuration change wakes it through this hook.
  const otelHooks = { onConfigured: (_orgId: string) => {} };
  const secrets = createSecretBox({ key: keyring.current('secret_box') });
  const otelExport = createOtelExportService({
    db: database.db,
    repo: otelRepo,
    store,
    orgs,
    secrets,
    sender: otlpSender,
    outbound,
    selfAudit,
    onConfigured: (orgId) => otelHooks.onConfigured(orgId),
  });
  const alertRepo = createAlertRepo(database);
  const alerts = createAlertService({ db: database.db, repo: alertRepo, store, selfAudit, jobs, webhookMaxAttempts: config.alertWebhookMaxAttempts });
  const alertWebhook = createAlertWebhookService({ db: database.db, repo: alertRepo, secrets, jobs, orgs, selfAudit, outbound });
  // A new organization gets the default alert rules, enabled.
  orgs.onCreated((org, tx) => alerts.ensureDefaults(org.id, tx));
  const exportRepo = createExportRepo(database);
  const exportFiles = createExportFiles(config.dataDir);
  const exports = createExportService({ db: database.db, repo: exportRepo, jobs, store, files: exportFiles, selfAudit });
  const histogram = createHistogram({ database, query, store });
  const erasureRepo = createErasureRepo(database);
  const erasures = createErasureService({
    database, repo: erasureRepo, store, jobs, retention, selfAudit, subjectKey: subjectKeyFrom(signingKey),
  });
  const workRepo = createWorkRepo(database);
  const cluster = createClusterStatus({
    repo: workRepo,
    liveWithinMs: LIVE_WITHIN_MS,
    headSeq: async (orgId) => (await store.head(orgId)).lastSeq,
    indexedSeq: (orgId) => database.search.indexedSeq(orgId),
    evaluatedSeq: async (orgId) => (await alertRepo.state(orgId))?.evaluated_seq,
    deliveredSeq: async (orgId) => {
      const destination = await otelRepo.destination(orgId);
      return destination?.enabled === 1 ? ((await otelRepo.delivery(orgId))?.delivered_seq ?? 0) : undefined;
    },
  });
  return {
    workRepo, cluster,
    database, outbound, otlpClient, jobs, exportRepo, exportFiles, exports, alertRepo, alerts, alertWebhook, store, ingest,
    indexer, query, histogram, orgs, apiKeys, integrity, selfAudit, retention, keys, checkpoints, users, sessions,
    invites, tokens, setup, otelRepo, otlpSender, otelHooks, otelExport, keyring, erasureRepo, erasures,
  };
}

export type Services = Awaited<ReturnType<typeof createServices>>;

export interface RunningApp {
  services: Services;
  url: string;
  /** Every route, for tests that walk them all. */
  routes: Array<{ method: string; url: string }>;
  /** Stops accepting requests, finishes in-flight ones, stops background work, closes the database. */
  close(): Promise<void>;
}

/** Composition root: config -> database -> services -> HTTP server + background tasks. */
export async function startApp(config: Config, logger: FastifyBaseLogger = createLogger(config.logLevel)): Promise<RunningApp> {
  const database = await openDatabase({ dataDir: config.dataDir, url: config.databaseUrl, sync: config.sqliteSync });
  let services: Services;
  try {
    services = await createServices(database, config);
  } catch (error) {
    await database.close();
    throw error;
  }
  if (services.keyring.legacyFiles.length > 0) {
    const message = 'key files of an older version are no longer read (their keys are in the database); '
      + 'delete them once you will not go back to that version';
    logger.warn({ files: services.keyring.legacyFiles }, message);
  }
  const auth = createAuthGuard({
    bearer: [async (token) => (token.startsWith('adt_') ? services.apiKeys.authenticate(token) : null), services.tokens.authenticate],
    session: services.sessions.authenticate,
    checkCsrf: services.sessions.checkCsrf,
  });

  const app = await createServer({
    logger,
    bodyLimit: config.bodyLimit,
    requestTimeoutMs: config.requestTimeoutMs,
    maxConnections: config.maxConnections,
    trustProxy: config.trustProxy,
  });
  const blockedSignIns = createBlockedSignIns({
    selfAudit: services.selfAudit,
    logger,
    options: { periodMs: BLOCKED_SUMMARY_PERIOD_MS },
  });
  const routes: RunningApp['routes'] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url });
  });
  ingestRoutes(app, { ingest: services.ingest, auth });
  otlpIngestRoutes(app, { ingest: services.ingest, auth });
  const recordView = createViewRecorder({ selfAudit: services.selfAudit });
  queryRoutes(app, { store: services.store, query: services.query, histogram: services.histogram, auth, recordView });
  const streamOptions = { maxPerOrg: config.streamMaxPerOrg, keepAliveMs: config.streamKeepAliveMs };
  streamRoutes(app, { store: services.store, auth, recordView, options: streamOptions });
  integrityRoutes(app, { integrity: services.checkpoints, auth });
  checkpointRoutes(app, { checkpoints: services.checkpoints, keys: services.keys, auth });
  retentionRoutes(app, { retention: services.retention, auth });
  const link = (pathAndQuery: string) => `${baseUrl()}${pathAndQuery}`;
  authRoutes(app, {
    db: database.db,
    auth,
    sessions: services.sessions,
    users: services.users,
    invites: services.invites,
    orgs: services.orgs,
    setup: services.setup,
    selfAudit: services.selfAudit,
    blockedSignIns,
    sessionMaxAgeMs: config.sessionMaxDays * 86_400_000,
    deviceMaxAgeMs: DEVICE_COOKIE_MS,
    secureCookie: config.publicUrl?.startsWith('https:'),
  });
  membersRoutes(app, { db: database.db, auth, users: services.users, sessions: services.sessions, invites: services.invites, selfAudit: services.selfAudit, inviteUrl: (t) => link(`/invite?token=${t}`), logInviteLinks: config.logInviteLinks });
  credentialsRoutes(app, { db: database.db, auth, apiKeys: services.apiKeys, tokens: services.tokens, selfAudit: services.selfAudit, embedUrl: (t) => link(`/embed?token=${t}`) });
  settingsRoutes(app, { db: database.db, auth, orgs: services.orgs, store: services.store, selfAudit: services.selfAudit });
  otelExportRoutes(app, { otelExport: services.otelExport, auth });
  alertRoutes(app, { alerts: services.alerts, webhook: services.alertWebhook, auth });
  exportRoutes(app, { exports: services.exports, auth });
  erasureRoutes(app, { erasures: services.erasures, auth });
  const readiness: Readiness = { accepting: false };
  clusterRoutes(app, { db: database.db, auth, status: services.cluster, readiness });

  await webPageRoutes(app);

  let address = '';
  const baseUrl = () => config.publicUrl?.replace(/\/$/, '') ?? address.replace('0.0.0.0', 'localhost');
  address = await app.listen({ port: config.port, host: config.host });
  // Start-up upkeep that writes; a full or read-only disk must not stop the server from starting (it answers 503 instead).
  await services.exports.reconcile().then(
    (reconciled) => reconciled > 0 && logger.warn({ exports: reconciled }, 'exports without a job to run them were marked failed'),
    (error: unknown) => logger.error({ err: error }, 'could not check exports against their jobs; will check at the next start'),
  );
  blockedSignIns.start();
  const background = startBackgroundWork({ config, services, logger, baseUrl });
  readiness.accepting = true;
  logger.info({ address, dataDir: config.dataDir }, 'auditum listening');
  const setupToken = await services.setup.tokenIfNeeded();
  if (setupToken) {
    const url = link(`/setup?token=${setupToken}`);
    logger.warn({ url }, 'no user exists yet: open this one-time link to create the first organization and its owner');
    if (logger.level !== 'silent') process.stderr.write(setupBanner(url));
  }

  let closing: Promise<void> | undefined;
  return {
    services,
    routes,
    url: address.replace('0.0.0.0', '127.0.0.1'),
    close() {
      closing ??= (async () => {
        readiness.accepting = false;
        await app.close();
        // After the server has closed, so the refused sign-ins counted up to then are written.
        await Promise.all([blockedSignIns.stop(), background.stop()]);
        services.outbound.close();
        services.otlpClient.close();
        // Optional upkeep: on a full or read-only disk it fails, and the database must still be closed.
        await database.adapter.optimize(database.db).catch((error: unknown) => logger.warn({ err: error }, 'could not optimize the database before closing'));
        await database.close();
      })();
      return closing;
    },
  };
}

/** The first-run link, framed so it stands out among the request logs. */
function setupBanner(url: string): string {
  const lines = [
    'Auditum is ready to be set up.',
    'Open this one-time link to create the first organization and its owner:',
    '',
    `  ${url}`,
    '',
    'Each start prints a new link until the first owner exists.',
  ];
  const width = Math.max(...lines.map((l) => l.length)) + 4;
  const rule = `+${'-'.repeat(width - 2)}+`;
  return ['', rule, ...lines.map((l) => `| ${l.padEnd(width - 4)} |`), rule, ''].join('\n') + '\n';
}

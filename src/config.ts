import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { normalizeOutboundList } from './outbound/outbound-policy.ts';
import { decodeKeyText } from './keys/key-text.ts';

const intFromString = (min: number, max: number) =>
  z.coerce.number().int().min(min).max(max);

const PROXY_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An IP, an IP/prefix, or one of proxy-addr's named ranges. */
function isProxyAddress(value: string): boolean {
  if (PROXY_RANGES.has(value)) return true;
  const [ip, prefix, extra] = value.split('/');
  const version = isIP(ip ?? '');
  if (version === 0 || extra !== undefined) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128));
}

/**
 * Which proxies may tell us the client's address (X-Forwarded-For): `false`, `true` (any), or their
 * addresses. A hop count is refused: it cannot tell the proxy from a client that connects directly.
 */
const trustProxySchema = z.union([z.boolean(), z.string()]).transform((value, ctx): boolean | string[] => {
  if (typeof value === 'boolean') return value;
  const text = value.trim().toLowerCase();
  if (text === 'true' || text === 'false') return text === 'true';
  if (/^\d+$/.test(text)) {
    ctx.addIssue({ code: 'custom', message: 'a hop count cannot be trusted; list the proxy addresses (IPs or CIDRs)' });
    return z.NEVER;
  }
  const list = text.split(',').map((part) => part.trim());
  const bad = list.filter((part) => !isProxyAddress(part));
  if (bad.length > 0) {
    ctx.addIssue({ code: 'custom', message: `not an IP address or CIDR range: ${bad.join(', ')}` });
    return z.NEVER;
  }
  return list;
});
/** A comma-separated list of CIDR ranges, addresses and host names (or such a list), in normal form. */
const outboundList = z
  .union([z.string(), z.array(z.string())])
  .transform((value, ctx) => {
    const { entries, problems } = normalizeOutboundList(value);
    for (const problem of problems) ctx.addIssue({ code: 'custom', message: problem });
    return entries;
  });

const KEY_TEXT_MESSAGE = 'must be 32 bytes written as base64 or hex (e.g. the output of `openssl rand -base64 32`)';

/** Every setting Auditum reads, with its environment variable and default. */
export const configSchema = z.object({
  port: intFromString(0, 65535).default(8080),
  host: z.string().min(1).default('0.0.0.0'),
  dataDir: z.string().min(1).default('./data'),
  /** postgres://user:password@host:port/database: run on PostgreSQL instead of the SQLite file in the data dir. */
  databaseUrl: z.string().min(1).optional(),
  /**
   * The key-encryption key (32 bytes, base64 or hex) that seals the key material stored in the
   * database; or the file holding it. Without either, SQLite keeps one in the data dir.
   */
  secretKey: z.string().refine((text) => decodeKeyText(text) !== undefined, KEY_TEXT_MESSAGE).optional(),
  secretKeyFile: z.string().min(1).optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Largest accepted request body, bytes. */
  bodyLimit: intFromString(1024, 256 * 1024 * 1024).default(10 * 1024 * 1024),
  /** A request's headers and body must arrive within this long, ms (slow senders get 408 and are cut off). */
  requestTimeoutMs: intFromString(1000, 3_600_000).default(30_000),
  /** Open connections one server accepts at once; more are refused (closed) until some end. */
  maxConnections: intFromString(1, 1_000_000).default(1024),
  /** SQLite `synchronous` pragma: FULL survives power loss, NORMAL only process crashes. */
  sqliteSync: z.enum(['full', 'normal']).default('full'),
  /** How often the background full-text indexer runs, ms. */
  searchIndexIntervalMs: intFromString(10, 60_000).default(250),
  /** Rows the full-text indexer takes per step. */
  searchIndexBatch: intFromString(1, 100_000).default(2000),
  /** The URL people reach Auditum at, used in setup, invite and embed links (default http://localhost:PORT). */
  publicUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** A session ends after this long without a request. */
  sessionIdleMinutes: intFromString(5, 60 * 24 * 30).default(12 * 60),
  /** A session ends this long after sign-in, whatever its activity. */
  sessionMaxDays: intFromString(1, 90).default(7),
  /** How long an invitation link stays valid. */
  inviteTtlHours: intFromString(1, 24 * 30).default(72),
  /** Lifetime of OAuth2 access tokens. */
  accessTokenTtlSeconds: intFromString(60, 86_400).default(3600),
  /** Failed sign-ins allowed per account from one IP (or one known device) within the login window. */
  loginMaxFailures: intFromString(1, 1000).default(5),
  /** Failed sign-ins allowed per IP over all accounts within the window (known IPs and devices are exempt). */
  loginMaxFailuresPerIp: intFromString(1, 100_000).default(20),
  loginWindowMinutes: intFromString(1, 1440).default(15),
  /** The proxies whose X-Forwarded-For names the client (false: the socket address is the client). */
  trustProxy: trustProxySchema.default(false),
  /** Also write invitation links to the server log (for installations without mail). */
  logInviteLinks: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).default(false),
  /** PEM file of extra CA certificates trusted for https OTLP receivers. */
  otelCaFile: z.string().min(1).optional(),
  /** First retry delay of OTLP delivery after a transient failure, ms; it doubles per failure. */
  otelRetryBaseMs: intFromString(10, 600_000).default(1000),
  /** Longest retry delay of OTLP delivery after transient failures, ms. */
  otelRetryMaxMs: intFromString(10, 3_600_000).default(300_000),
  /** How often the retention purge runs, ms (daily). */
  retentionIntervalMs: intFromString(1000, 2_147_483_647).default(86_400_000),
  /**
   * How long a server's hold on an organization's background task (indexing, alerts, OTLP) lasts
   * without renewal, ms: when a server dies, its work moves to another this long afterwards.
   */
  workLeaseMs: intFromString(1000, 600_000).default(15_000),
  ingestQueueMaxEvents: intFromString(1000, 1_000_000).default(20_000),
  /** Live streams (GET /v1/events/stream) one server keeps open per organization; more get 429. */
  streamMaxPerOrg: intFromString(1, 10_000).default(20),
  /** A comment line is sent on an idle stream this often, ms, so proxies keep it open. */
  streamKeepAliveMs: intFromString(100, 300_000).default(15_000),
  /** Sign a checkpoint for each organization with new entries this often, seconds (0 = never on a timer). */
  checkpointIntervalSeconds: intFromString(0, 2_147_483).default(3600),
  /** Also sign one as soon as an organization has this many entries past its latest checkpoint (0 = off). */
  checkpointEveryEntries: intFromString(0, 1_000_000_000).default(10_000),
  /** First retry delay of a failed background job (exports, webhooks), ms; it doubles per failure. */
  jobRetryBaseMs: intFromString(10, 600_000).default(5000),
  /** Delivery attempts of one alert webhook before it is marked failed. */
  alertWebhookMaxAttempts: intFromString(1, 100).default(8),
  /** How long one alert webhook request may take, ms. */
  alertWebhookTimeoutMs: intFromString(100, 120_000).default(10_000),
  /** How long a finished export's file can be downloaded before it is deleted, hours (7 days). */
  exportTtlHours: intFromString(1, 24 * 365).default(168),
  /**
   * Outbound connections (OTLP export, alert webhooks) may also go to these ranges and host names,
   * which the default policy refuses (loopback, private networks); link-local and metadata
   * addresses only when an entry lies inside their range.
   */
  outboundAllow: outboundList.default([]),
  /** Outbound connections never go to these ranges and host names; wins over outboundAllow. */
  outboundDeny: outboundList.default([]),
}).refine((config) => !(config.secretKey && config.secretKeyFile), {
  path: ['secretKeyFile'],
  message: 'set AUDITUM_SECRET_KEY or AUDITUM_SECRET_KEY_FILE, not both',
});

export type Config = Readonly<z.infer<typeof configSchema>>;

/** Environment variable names for each setting (the README's configuration table). */
export const envNames: Record<keyof Config, string> = {
  port: 'PORT',
  host: 'HOST',
  dataDir: 'AUDITUM_DATA_DIR',
  databaseUrl: 'AUDITUM_DATABASE_URL',
  secretKey: 'AUDITUM_SECRET_KEY',
  secretKeyFile: 'AUDITUM_SECRET_KEY_FILE',
  logLevel: 'AUDITUM_LOG_LEVEL',
  bodyLimit: 'AUDITUM_BODY_LIMIT',
  requestTimeoutMs: 'AUDITUM_REQUEST_TIMEOUT_MS',
  maxConnections: 'AUDITUM_MAX_CONNECTIONS',
  sqliteSync: 'AUDITUM_SQLITE_SYNC',
  searchIndexIntervalMs: 'AUDITUM_SEARCH_INDEX_INTERVAL_MS',
  searchIndexBatch: 'AUDITUM_SEARCH_INDEX_BATCH',
  publicUrl: 'AUDITUM_PUBLIC_URL',
  sessionIdleMinutes: 'AUDITUM_SESSION_IDLE_MINUTES',
  sessionMaxDays: 'AUDITUM_SESSION_MAX_DAYS',
  inviteTtlHours: 'AUDITUM_INVITE_TTL_HOURS',
  accessTokenTtlSeconds: 'AUDITUM_ACCESS_TOKEN_TTL_SECONDS',
  loginMaxFailures: 'AUDITUM_LOGIN_MAX_FAILURES',
  loginMaxFailuresPerIp: 'AUDITUM_LOGIN_MAX_FAILURES_PER_IP',
  loginWindowMinutes: 'AUDITUM_LOGIN_WINDOW_MINUTES',
  trustProxy: 'AUDITUM_TRUST_PROXY',
  logInviteLinks: 'AUDITUM_LOG_INVITE_LINKS',
  otelCaFile: 'AUDITUM_OTEL_CA_FILE',
  otelRetryBaseMs: 'AUDITUM_OTEL_RETRY_BASE_MS',
  otelRetryMaxMs: 'AUDITUM_OTEL_RETRY_MAX_MS',
  retentionIntervalMs: 'AUDITUM_RETENTION_INTERVAL_MS',
  workLeaseMs: 'AUDITUM_WORK_LEASE_MS',
  ingestQueueMaxEvents: 'AUDITUM_INGEST_QUEUE_MAX_EVENTS',
  streamMaxPerOrg: 'AUDITUM_STREAM_MAX_PER_ORG',
  streamKeepAliveMs: 'AUDITUM_STREAM_KEEPALIVE_MS',
  checkpointIntervalSeconds: 'AUDITUM_CHECKPOINT_INTERVAL_SECONDS',
  checkpointEveryEntries: 'AUDITUM_CHECKPOINT_EVERY_ENTRIES',
  jobRetryBaseMs: 'AUDITUM_JOB_RETRY_BASE_MS',
  alertWebhookMaxAttempts: 'AUDITUM_ALERT_WEBHOOK_MAX_ATTEMPTS',
  alertWebhookTimeoutMs: 'AUDITUM_ALERT_WEBHOOK_TIMEOUT_MS',
  exportTtlHours: 'AUDITUM_EXPORT_TTL_HOURS',
  outboundAllow: 'AUDITUM_OUTBOUND_ALLOW',
  outboundDeny: 'AUDITUM_OUTBOUND_DENY',
};

export class ConfigError extends Error {}

/**
 * Builds the configuration once from the environment, with `overrides` (from CLI flags) on top.
 * A bad value throws a ConfigError naming the variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Record<keyof Config, unknown>> = {}): Config {
  const raw: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(envNames)) {
    const value = env[name];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined) raw[key] = value;
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0]) as keyof Config;
      return `${envNames[key] ?? key}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return Object.freeze({ ...parsed.data, dataDir: path.resolve(parsed.data.dataDir) });
}

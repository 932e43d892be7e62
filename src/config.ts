import path from 'node:path';
import { z } from 'zod';

const intFromString = (min: number, max: number) =>
  z.coerce.number().int().min(min).max(max);

/** Every setting Auditum reads, with its environment variable and default. */
export const configSchema = z.object({
  port: intFromString(0, 65535).default(8080),
  host: z.string().min(1).default('0.0.0.0'),
  dataDir: z.string().min(1).default('./data'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Largest accepted request body, bytes. */
  bodyLimit: intFromString(1024, 256 * 1024 * 1024).default(10 * 1024 * 1024),
  /** SQLite `synchronous` pragma: FULL survives power loss, NORMAL only process crashes. */
  sqliteSync: z.enum(['full', 'normal']).default('full'),
  /** How often the background full-text indexer runs, ms. */
  searchIndexIntervalMs: intFromString(10, 60_000).default(250),
  /** Rows the full-text indexer takes per step. */
  searchIndexBatch: intFromString(1, 100_000).default(256),
  /** PEM file of extra CA certificates trusted for https OTLP receivers. */
  otelCaFile: z.string().min(1).optional(),
  /** First retry delay of OTLP delivery after a transient failure, ms; it doubles per failure. */
  otelRetryBaseMs: intFromString(10, 600_000).default(1000),
  /** Longest retry delay of OTLP delivery after transient failures, ms. */
  otelRetryMaxMs: intFromString(10, 3_600_000).default(300_000),
});

export type Config = Readonly<z.infer<typeof configSchema>>;

/** Environment variable names for each setting (the README's configuration table). */
export const envNames: Record<keyof Config, string> = {
  port: 'PORT',
  host: 'HOST',
  dataDir: 'AUDITUM_DATA_DIR',
  logLevel: 'AUDITUM_LOG_LEVEL',
  bodyLimit: 'AUDITUM_BODY_LIMIT',
  sqliteSync: 'AUDITUM_SQLITE_SYNC',
  searchIndexIntervalMs: 'AUDITUM_SEARCH_INDEX_INTERVAL_MS',
  searchIndexBatch: 'AUDITUM_SEARCH_INDEX_BATCH',
  otelCaFile: 'AUDITUM_OTEL_CA_FILE',
  otelRetryBaseMs: 'AUDITUM_OTEL_RETRY_BASE_MS',
  otelRetryMaxMs: 'AUDITUM_OTEL_RETRY_MAX_MS',
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

import { sql } from 'kysely';
import { z } from 'zod';
import type { Db } from '../db/database.ts';
import { pendingMigrations } from '../db/migrate.ts';
import { storageFailure } from '../errors.ts';
import type { AuthGuard } from '../http/auth.ts';
import { errorResponses } from '../http/schemas.ts';
import type { App } from '../http/types.ts';
import type { ClusterStatus } from './cluster-status.ts';

const readySchema = z.object({
  ready: z.boolean(),
  checks: z.object({
    database: z.string().describe('"ok", or why the database cannot be used'),
    migrations: z.string().describe('"ok", or the migrations not applied'),
    accepting_work: z.boolean().describe('false while this server starts or shuts down'),
  }),
});

const leaseSchema = z.object({ task: z.string(), org_id: z.string(), token: z.number().int(), expires_at: z.string() });
const clusterSchema = z.object({
  servers: z.array(z.object({
    id: z.string(),
    host: z.string(),
    pid: z.number().int(),
    url: z.string().nullable(),
    started_at: z.string(),
    heartbeat_at: z.string(),
    leases: z.array(leaseSchema),
  })),
  schedules: z.array(z.object({
    name: z.string(),
    next_run_at: z.string(),
    last_run_at: z.string().nullable(),
    running_on: z.string().nullable(),
    last_error: z.string().nullable(),
  })),
  lag: z.array(z.object({
    org_id: z.string(),
    head_seq: z.number().int(),
    search: z.number().int(),
    alerts: z.number().int(),
    otel: z.number().int().nullable(),
  })),
});

/** Whether this server takes work: set once background work runs, cleared when shutdown begins. */
export interface Readiness {
  accepting: boolean;
}

/** GET /readyz (can serve: /healthz, alive, is the server's own), GET /v1/cluster (the servers and their work, for owners). */
export function clusterRoutes(app: App, deps: { db: Db; auth: AuthGuard; status: ClusterStatus; readiness: Readiness }) {
  app.get('/readyz', {
    schema: {
      summary: 'Readiness: database reachable, migrations applied, accepting work (503 otherwise)',
      tags: ['operations'],
      response: { 200: readySchema, 503: readySchema },
    },
    handler: async (_request, reply) => {
      let database = 'ok';
      let migrations = 'ok';
      try {
        await sql`select 1`.execute(deps.db);
        const pending = await pendingMigrations(deps.db);
        if (pending.length > 0) migrations = `not applied: ${pending.join(', ')}`;
      } catch (error) {
        // A fixed word, never the driver's message: this answer needs no credentials.
        database = storageFailure(error)?.code ?? 'unavailable';
      }
      const ready = database === 'ok' && migrations === 'ok' && deps.readiness.accepting;
      if (!ready) reply.code(503).header('retry-after', '5');
      return { ready, checks: { database, migrations, accepting_work: deps.readiness.accepting } };
    },
  });

  app.get('/v1/cluster', {
    schema: {
      summary: "The servers sharing this database, the leases they hold on this organization's work, schedules and lag",
      tags: ['operations'],
      response: { 200: clusterSchema, ...errorResponses },
    },
    // Owners and admins (and keys with the admin scope, for scripts): the servers, and this organization's work only.
    onRequest: deps.auth.require('settings'),
    handler: async (request) => deps.status.status([request.principal!.orgId]),
  });
}

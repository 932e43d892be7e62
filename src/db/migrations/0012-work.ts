import type { Kysely } from 'kysely';

/**
 * The shared background-work engine's durable state (src/work/): the servers alive on this
 * database, the per-organization task leases they hold, and the schedules of periodic tasks.
 * Tenant tables lead with org_id, so they can be distributed by organization.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('work_servers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('pid', 'integer', (c) => c.notNull())
    .addColumn('url', 'text')
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('heartbeat_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('work_leases')
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('task', 'text', (c) => c.notNull())
    .addColumn('holder', 'text')
    .addColumn('token', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('work_leases_pk', ['org_id', 'task'])
    .execute();
  await db.schema
    .createTable('work_schedules')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('next_run_at', 'bigint', (c) => c.notNull())
    .addColumn('holder', 'text')
    .addColumn('running_until', 'bigint')
    .addColumn('last_run_at', 'bigint')
    .addColumn('last_error', 'text')
    .execute();
  // Which server runs a job, so a restarted server resumes its own at once and a stalled one cannot finish another's.
  await db.schema.alterTable('jobs').addColumn('locked_by', 'text').execute();
}

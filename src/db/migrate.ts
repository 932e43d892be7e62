import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { DialectAdapter } from './dialect.ts';
import * as m0001 from './migrations/0001-core.ts';
import * as m0002 from './migrations/0002-integrity.ts';
import * as m0003 from './migrations/0003-otel.ts';
import * as m0004 from './migrations/0004-access.ts';
import * as m0005 from './migrations/0005-jobs.ts';
import * as m0006 from './migrations/0006-exports.ts';
import * as m0007 from './migrations/0007-alerts.ts';
import * as m0008 from './migrations/0008-checkpoint-frontier.ts';
import * as m0009 from './migrations/0009-sealed-webhook-urls.ts';
import * as m0010 from './migrations/0010-search-tables.ts';
import * as m0011 from './migrations/0011-key-material.ts';
import * as m0012 from './migrations/0012-work.ts';
import * as m0013 from './migrations/0013-filter-indexes.ts';
import * as m0014 from './migrations/0014-alert-incidents.ts';
import * as m0015 from './migrations/0015-export-order.ts';
import * as m0016 from './migrations/0016-event-counts.ts';
import * as m0017 from './migrations/0017-erasure.ts';

/** What a migration may need besides the database: where the data directory (and its key files) is. */
export interface MigrationContext {
  dataDir: string;
}

type MigrationModule = { up(db: Kysely<any>, adapter: DialectAdapter, context: MigrationContext): Promise<void> };

/** Numbered migrations, in order. A new migration is a new file added here. */
const migrations: Record<string, MigrationModule> = {
  '0001-core': m0001,
  '0002-integrity': m0002,
  '0003-otel': m0003,
  '0004-access': m0004,
  '0005-jobs': m0005,
  '0006-exports': m0006,
  '0007-alerts': m0007,
  '0008-checkpoint-frontier': m0008,
  '0009-sealed-webhook-urls': m0009,
  '0010-search-tables': m0010,
  '0011-key-material': m0011,
  '0012-work': m0012,
  '0013-filter-indexes': m0013,
  '0014-alert-incidents': m0014,
  '0015-export-order': m0015,
  '0016-event-counts': m0016,
  '0017-erasure': m0017,
};

function provider(adapter: DialectAdapter, context: MigrationContext): MigrationProvider {
  return {
    async getMigrations() {
      const result: Record<string, Migration> = {};
      for (const [name, module] of Object.entries(migrations)) {
        result[name] = { up: (db) => module.up(db, adapter, context) };
      }
      return result;
    },
  };
}

/** Brings the schema to the newest migration; throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<any>, adapter: DialectAdapter, context: MigrationContext): Promise<void> {
  // Migrations written on parallel branches may land out of name order; each is independent of the
  // others' tables, so one that sorts before an applied one still runs instead of refusing to start.
  const migrator = new Migrator({ db, provider: provider(adapter, context), allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Migrations this version knows that the database has not applied (another server's older schema, or none yet). */
export async function pendingMigrations(db: Kysely<any>): Promise<string[]> {
  const applied = await db.selectFrom('kysely_migration').select('name').execute();
  const names = new Set(applied.map((row: { name: string }) => row.name));
  return Object.keys(migrations).filter((name) => !names.has(name));
}

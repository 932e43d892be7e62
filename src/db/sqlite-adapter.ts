import { sql } from 'kysely';
import type { DialectAdapter } from './dialect.ts';
import { EVENT_COLUMNS } from './event-columns.ts';

const TYPES = { text: 'text', int: 'integer', bigint: 'integer' } as const;

/**
 * SQLite: one writer at a time (transactions begin IMMEDIATE), so a read-then-write needs no row
 * lock and the events key can be global. The full-text index lives in its own file (sqlite-search.ts).
 */
export const sqliteAdapter: DialectAdapter = {
  name: 'sqlite',
  keyPerOrganization: false,
  indexInWorkerThread: true,
  filterIndexesOnEvents: false,
  indexesEndInKey: true,
  uniqueEventIndexes: true,
  keyEncryptionKeyInDataDir: true,

  async createEventsTable(db) {
    let table = db.schema.createTable('events').addColumn('pk', 'integer', (c) => c.primaryKey());
    for (const { name, type, notNull } of EVENT_COLUMNS) {
      table = table.addColumn(name, TYPES[type], (c) => (notNull ? c.notNull() : c));
    }
    await table.execute();
  },

  async createSearchTables() {},

  // In search.db, beside the index (sqlite-search.ts).
  async createCountTables() {},

  async preparePartitions() {},

  async lockExclusive() {},

  async notify() {},

  forUpdate: (query) => query,
  forClaim: (query) => query,

  async optimize(db) {
    await sql`PRAGMA optimize`.execute(db);
  },

  async eraseOverwritten(db, on) {
    await sql.raw(`PRAGMA secure_delete = ${on ? 'ON' : 'FAST'}`).execute(db);
  },

  async truncateLog(db) {
    await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db);
  },
};

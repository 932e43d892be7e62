import { sql, type CreateTableBuilder, type Kysely } from 'kysely';
import { COUNT_UNITS } from './event-counts.ts';
import type { DialectAdapter, Lockable } from './dialect.ts';
import { EVENT_COLUMNS } from './event-columns.ts';
import { PK_SLOTS } from './event-keys.ts';
import { inTransaction } from './unit-of-work.ts';

/**
 * Text columns of the events table compare byte by byte ("C"), whatever the database's default
 * collation: a type prefix such as "user." is the key range [user., user/), and the skip scans
 * over types and emails walk in that same order.
 */
const TYPES = { text: sql`text collate "C"`, int: sql`integer`, bigint: sql`bigint` } as const;

/** One partition per calendar month (UTC) of the time-ordered key; older entries go to the default one. */
function monthPartition(year: number, month: number) {
  const start = new Date(Date.UTC(year, month, 1));
  const from = start.getTime() * PK_SLOTS;
  const to = Date.UTC(year, month + 1, 1) * PK_SLOTS;
  const name = `events_p${start.getUTCFullYear()}${String(start.getUTCMonth() + 1).padStart(2, '0')}`;
  return { name, from, to };
}

/** Serializes partition creation between servers starting at once (any fixed number works). */
const PARTITION_LOCK = 0x61756469;

/**
 * PostgreSQL: appends of one organization are serialized by a row lock on its chain head, so
 * organizations never wait for each other; the events table is partitioned by month on its
 * time-ordered key, keyed (org_id, pk); full-text search is a pg_trgm GIN index (postgres-search.ts).
 */
export const postgresAdapter: DialectAdapter = {
  name: 'postgres',
  keyPerOrganization: true,
  indexInWorkerThread: false,
  filterIndexesOnEvents: true,
  indexesEndInKey: false,
  uniqueEventIndexes: false,
  keyEncryptionKeyInDataDir: false,

  async createEventsTable(db) {
    // Column names are only known at run time here: the builder's column-name typing cannot follow.
    let table = db.schema.createTable('events').addColumn('pk', 'bigint', (c) => c.notNull()) as CreateTableBuilder<'events', string>;
    for (const { name, type, notNull } of EVENT_COLUMNS) {
      table = table.addColumn(name, TYPES[type], (c) => (notNull ? c.notNull() : c));
    }
    await table.addPrimaryKeyConstraint('events_pkey', ['org_id', 'pk']).modifyEnd(sql`partition by range (pk)`).execute();
    await sql`create table events_default partition of events default`.execute(db);
    await this.preparePartitions(db, Date.now());
  },

  async createSearchTables(db) {
    await sql`create extension if not exists pg_trgm`.execute(db);
    await sql`create extension if not exists btree_gin`.execute(db);
    await db.schema
      .createTable('search_docs')
      .addColumn('org_id', sql`text collate "C"`, (c) => c.notNull())
      .addColumn('pk', 'bigint', (c) => c.notNull())
      .addColumn('doc', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('search_docs_pkey', ['org_id', 'pk'])
      .execute();
    await sql`create index search_docs_trgm on search_docs using gin (org_id, doc gin_trgm_ops)`.execute(db);
    await db.schema
      .createTable('search_state')
      .addColumn('org_id', 'text', (c) => c.primaryKey())
      .addColumn('indexed_seq', 'bigint', (c) => c.notNull())
      .execute();
  },

  async createCountTables(db) {
    await db.schema
      .createTable('event_counts')
      .addColumn('org_id', 'text', (c) => c.notNull())
      .addColumn('unit', 'bigint', (c) => c.notNull())
      .addColumn('start', 'bigint', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('category', 'text', (c) => c.notNull())
      .addColumn('result', 'text', (c) => c.notNull())
      .addColumn('n', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('event_counts_pkey', ['org_id', 'unit', 'start', 'type', 'category', 'result'])
      .execute();
    // What is indexed already is counted now; the indexer counts the rest as it goes.
    for (const unit of COUNT_UNITS) {
      await sql`insert into event_counts (org_id, unit, start, type, category, result, n)
        select e.org_id, ${unit}, (e.occurred_at / ${unit}) * ${unit}, e.type, e.category, e.result, count(*)
        from events e join search_state s on s.org_id = e.org_id and e.seq <= s.indexed_seq
        group by 1, 3, 4, 5, 6`.execute(db);
    }
  },

  /**
   * Creates the monthly partitions from the month of `fromMs` (default: this one) through the
   * month of `untilMs` (plus the next one).
   */
  async preparePartitions(db: Kysely<any>, untilMs: number, fromMs = Date.now()) {
    const from = new Date(fromMs);
    const until = new Date(untilMs);
    const months: Array<ReturnType<typeof monthPartition>> = [];
    for (let y = from.getUTCFullYear(), m = from.getUTCMonth(); ; m++) {
      const part = monthPartition(y, m);
      months.push(part);
      if (part.from > Date.UTC(until.getUTCFullYear(), until.getUTCMonth() + 1, 1) * PK_SLOTS) break;
    }
    await inTransaction(db, async (trx) => {
      await this.lockExclusive(trx, PARTITION_LOCK);
      for (const { name, from, to } of months) {
        await sql`create table if not exists ${sql.id(name)} partition of events for values from (${sql.lit(from)}) to (${sql.lit(to)})`
          .execute(trx);
      }
    });
  },

  async lockExclusive(db, lockId) {
    await sql`select pg_advisory_xact_lock(${lockId})`.execute(db);
  },

  async notify(db, channel, payload) {
    await sql`select pg_notify(${channel}, ${payload})`.execute(db);
  },

  forUpdate: <Q extends Lockable>(query: Q) => query.forUpdate() as Q,
  forClaim: <Q extends Lockable>(query: Q) => query.forUpdate().skipLocked() as Q,

  // autovacuum keeps statistics current over time; after a bulk load or at shutdown, fresh ones now.
  async optimize(db) {
    await sql`analyze events, search_docs`.execute(db);
  },

  async eraseOverwritten() {
    // An UPDATE writes a new row version; VACUUM reclaims the old one (erasure runs it explicitly).
  },

  async truncateLog() {},
};

import { sql, type Kysely } from 'kysely';
import { ConflictError } from '../errors.ts';
import { KEY_KINDS } from '../keys/key-kinds.ts';
import type { KeyEncryptionKey } from '../keys/key-encryption-key.ts';
import { createKeyMaterialRepo } from '../keys/key-material.repo.ts';
import { sealedRow, type Keyring } from '../keys/keyring.ts';
import type { Database } from './database.ts';
import { PK_SLOTS } from './event-keys.ts';
import { inTransaction } from './unit-of-work.ts';

/** Every table a copy moves, parents before children, each with the columns that order its rows (its primary key). */
const TABLES: ReadonlyArray<{ name: string; key: readonly string[] }> = [
  { name: 'orgs', key: ['id'] },
  { name: 'users', key: ['id'] },
  { name: 'memberships', key: ['org_id', 'user_id'] },
  { name: 'sessions', key: ['id'] },
  { name: 'api_keys', key: ['id'] },
  { name: 'oauth_clients', key: ['id'] },
  { name: 'invites', key: ['id'] },
  { name: 'setup_tokens', key: ['token_hash'] },
  { name: 'chain_heads', key: ['org_id'] },
  { name: 'events', key: ['org_id', 'pk'] },
  { name: 'checkpoints', key: ['org_id', 'tree_size'] },
  { name: 'retention_settings', key: ['org_id'] },
  { name: 'retention_anchors', key: ['org_id'] },
  { name: 'otel_destinations', key: ['org_id'] },
  { name: 'otel_delivery', key: ['org_id'] },
  { name: 'alert_rules', key: ['id'] },
  { name: 'alert_state', key: ['org_id'] },
  { name: 'alert_windows', key: ['rule_id', 'group_key'] },
  { name: 'alerts', key: ['id'] },
  { name: 'alert_webhooks', key: ['org_id'] },
  { name: 'jobs', key: ['id'] },
  { name: 'exports', key: ['id'] },
  { name: 'work_schedules', key: ['name'] },
  { name: 'erasures', key: ['id'] },
];

/**
 * Not copied as rows: key material is sealed again for the target; the target's search index
 * rebuilds itself; which servers are alive and what they hold is the target's own.
 */
const NOT_COPIED = new Set(['key_material', 'search_docs', 'search_state', 'work_servers', 'work_leases']);

/** Rows per statement: a batch of the widest table (events, 33 columns) stays far below PostgreSQL's 65535 parameters. */
const BATCH_ROWS = 500;

export interface CopyProgress {
  table: string;
  copied: number;
  total: number;
}

export interface CopyOptions {
  source: Database;
  /** The source's keys, opened with its key-encryption key. */
  sourceKeys: Keyring;
  /** Freshly migrated and without organizations; every row goes in one transaction. */
  target: Database;
  targetKek: KeyEncryptionKey;
  onProgress?: (progress: CopyProgress) => void;
}

async function count(db: Kysely<any>, table: string): Promise<number> {
  const row = await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

type Row = Record<string, unknown>;

/** The source's rows of `table` in key order, a batch at a time (keyset paging: memory stays bounded). */
async function* batches(db: Kysely<any>, table: string, key: readonly string[]): AsyncGenerator<Row[]> {
  let after: unknown[] | undefined;
  for (;;) {
    let query = db.selectFrom(table).selectAll().limit(BATCH_ROWS);
    for (const column of key) query = query.orderBy(column);
    if (after) {
      const last = after;
      query = query.where(sql<boolean>`(${sql.join(key.map((c) => sql.ref(c)))}) > (${sql.join(last)})`);
    }
    const rows = await query.execute();
    if (rows.length === 0) return;
    yield rows;
    const tail = rows[rows.length - 1]!;
    after = key.map((column) => tail[column]);
  }
}

/** The first millisecond of the UTC month `ms` falls in, and of the next one. */
function monthOf(ms: number): { start: number; next: number } {
  const at = new Date(ms);
  const [year, month] = [at.getUTCFullYear(), at.getUTCMonth()];
  return { start: Date.UTC(year, month, 1), next: Date.UTC(year, month + 1, 1) };
}

/**
 * Makes the target ready for the source's entries: for each month the source has entries in, the
 * target's partitions of that month (old months would otherwise all land in the default partition).
 */
async function preparePartitions(source: Kysely<any>, target: Database, tx: Kysely<any>): Promise<void> {
  const range = await source
    .selectFrom('events')
    .select((eb) => [eb.fn.min('pk').as('low'), eb.fn.max('pk').as('high')])
    .executeTakeFirst();
  if (range?.low === null || range?.low === undefined) return;
  const highMs = Math.floor(Number(range.high) / PK_SLOTS);
  for (let month = monthOf(Math.floor(Number(range.low) / PK_SLOTS)); month.start <= highMs; month = monthOf(month.next)) {
    const any = await source
      .selectFrom('events')
      .select('pk')
      .where('pk', '>=', month.start * PK_SLOTS)
      .where('pk', '<', month.next * PK_SLOTS)
      .limit(1)
      .executeTakeFirst();
    if (any) await target.adapter.preparePartitions(tx, month.start, month.start);
  }
}

/** Refuses a source holding a table this version does not know how to copy (it would be lost). */
async function checkTables(source: Kysely<any>): Promise<void> {
  const known = new Set([...TABLES.map((t) => t.name), ...NOT_COPIED]);
  const unknown = (await source.introspection.getTables()).map((t) => t.name).filter((name) => !known.has(name));
  if (unknown.length > 0) throw new ConflictError(`the source has tables this version cannot copy: ${unknown.join(', ')}`);
}

/**
 * Copies every row of `source` into `target` in one target transaction (a failure leaves the
 * target as it was), reading the source in one transaction too, so the copy is one moment of it.
 * Key material is sealed again with the target's key-encryption key. Returns rows per table.
 */
export async function copyDatabase(options: CopyOptions): Promise<Record<string, number>> {
  const { source, sourceKeys, target, targetKek, onProgress } = options;
  await checkTables(source.db as Kysely<any>);
  const copied: Record<string, number> = {};
  // Table names come from the list above: the typed table names of Kysely<Tables> cannot follow.
  await inTransaction(source.db as Kysely<any>, (from) =>
    inTransaction(target.db as Kysely<any>, async (to) => {
      const existing = await count(to, 'orgs');
      if (existing > 0) {
        const message = `the target database already has ${existing} organization(s); db copy fills only an empty one`;
        throw new ConflictError(message);
      }
      for (const { name, key } of TABLES) {
        const total = await count(from, name);
        if (name === 'events') await preparePartitions(from, target, to);
        let done = 0;
        onProgress?.({ table: name, copied: 0, total });
        for await (const rows of batches(from, name, key)) {
          await to.insertInto(name).values(rows).execute();
          done += rows.length;
          onProgress?.({ table: name, copied: done, total });
        }
        const landed = await count(to, name);
        if (done !== total || landed !== total) {
          throw new Error(`copying ${name}: ${total} rows in the source, ${done} read, ${landed} in the target`);
        }
        copied[name] = total;
      }
      const keys = KEY_KINDS.flatMap((kind) => sourceKeys.all(kind).map((key) => sealedRow(targetKek, key)));
      await createKeyMaterialRepo(to).replaceAll(keys, to);
      copied.key_material = keys.length;
    }),
  );
  return copied;
}

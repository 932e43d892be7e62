import type { SelectQueryBuilder } from 'kysely';
import { ConflictError } from '../errors.ts';
import type { Tables } from '../db/tables.ts';
import { v7 as uuidv7 } from 'uuid';
import type { Database } from '../db/database.ts';
import { PK_SLOTS } from '../db/event-keys.ts';
import { afterCommit, inTransaction, type Executor } from '../db/unit-of-work.ts';
import type { Entry, EventInput } from './event.schemas.ts';
import { buildEntry, entryToRow, personalPathsOf, rowToEntry, type NewEventRow } from './entry-mapping.ts';
import { entryHash, GENESIS_HASH } from './hash-chain.ts';

export interface AppendResult {
  id: string;
  seq: number;
  hash: string;
  duplicate?: true;
}

/** Rows per INSERT statement: well under SQLite's bound-parameter limit. */
const INSERT_CHUNK = 500;
export { PK_SLOTS } from '../db/event-keys.ts';
/** How far (ms) a key may move past its millisecond when that millisecond's slots are all taken. */
const MAX_SPILL_MS = 1000;

/** The events table's writer and point reader: appends to each organization's hash chain. */
/** The notification channel on which a committed append is announced to every server: "orgId:lastSeq". */
export const APPEND_CHANNEL = 'auditum_append';

export function createEventStore(database: Database) {
  const { db, adapter } = database;

  /** The chain head, created at seq 0 on first use, under a row lock where the engine needs one. */
  async function lockHead(trx: Executor, orgId: string): Promise<{ last_seq: number; last_hash: string; personal_fields: string }> {
    const read = () =>
      adapter
        .forUpdate(trx.selectFrom('chain_heads').select(['last_seq', 'last_hash', 'personal_fields']).where('org_id', '=', orgId))
        .executeTakeFirst();
    const found = await read();
    if (found) return found;
    await trx
      .insertInto('chain_heads')
      .values({ org_id: orgId, last_seq: 0, last_hash: GENESIS_HASH })
      .onConflict((oc) => oc.column('org_id').doNothing())
      .execute();
    return (await read())!;
  }

  /** Key lookups are per organization where the key is (DialectAdapter.keyPerOrganization). */
  const keyScope = <Q extends SelectQueryBuilder<Tables, 'events', {}>>(query: Q, orgId: string): Q =>
    adapter.keyPerOrganization ? (query.where('org_id', '=', orgId) as Q) : query;
  const listeners = new Set<(orgId: string, lastSeq: number) => void>();

  /**
   * Appends a batch atomically: every event gets the next seq and is chained to the one
   * before; events whose client id is already stored are returned as they are.
   * `receivedAt` is when the server received them (one time, or one per input; default now).
   * Resolves only after the transaction has committed; given the caller's transaction (`tx`),
   * it writes inside it, and listeners hear of the append when that transaction commits.
   */
  async function append(
    orgId: string,
    inputs: EventInput[],
    options: {
      tx?: Executor;
      receivedAt?: number | readonly number[];
      /** Per input, paths it commits to besides the fixed and the organization's personal fields (Auditum's own entries). */
      personal?: ReadonlyArray<readonly string[] | undefined>;
    } = {},
  ): Promise<AppendResult[]> {
    const now = Date.now();
    const given = options.receivedAt;
    const receivedAtOf = (index: number) => (typeof given === 'number' ? given : given?.[index] ?? now);
    return inTransaction(options.tx ?? db, async (trx) => {
      // First the organization's chain head, locked for the rest of the transaction: appends of one
      // organization take turns here (ids, seqs and keys below are read under that lock), others do not wait.
      const head = await lockHead(trx, orgId);
      const clientIds = [...new Set(inputs.map((e) => e.id).filter((id): id is string => id !== undefined))];
      const known = new Map<string, AppendResult>();
      for (let i = 0; i < clientIds.length; i += INSERT_CHUNK) {
        const rows = await trx
          .selectFrom('events')
          .select(['id', 'seq', 'hash'])
          .where('org_id', '=', orgId)
          .where('id', 'in', clientIds.slice(i, i + INSERT_CHUNK))
          .execute();
        for (const row of rows) known.set(row.id, { id: row.id, seq: row.seq, hash: row.hash, duplicate: true });
      }

      const orgFields = JSON.parse(head.personal_fields) as string[];
      const orgPaths = personalPathsOf(orgFields);
      let seq = head.last_seq;
      let prevHash = head.last_hash;
      const out: AppendResult[] = [];
      const rows: NewEventRow[] = [];
      const nextSlot = new Map<number, number>();
      // The time-ordered key: the first free slot at the event's millisecond (see allocateSlots).
      const allocatePk = async (ms: number): Promise<number> => {
        for (let at = ms; at < ms + MAX_SPILL_MS; at++) {
          let slot = nextSlot.get(at);
          if (slot === undefined) {
            const taken = await keyScope(trx.selectFrom('events'), orgId)
              .select((eb) => eb.fn.max('pk').as('max'))
              .where('pk', '>=', at * PK_SLOTS)
              .where('pk', '<', (at + 1) * PK_SLOTS)
              .executeTakeFirst();
            slot = taken?.max == null ? 0 : Number(taken.max) - at * PK_SLOTS + 1;
          }
          if (slot < PK_SLOTS) {
            nextSlot.set(at, slot + 1);
            return at * PK_SLOTS + slot;
          }
          nextSlot.set(at, PK_SLOTS);
        }
        throw new ConflictError(`more than ${PK_SLOTS * MAX_SPILL_MS} events share the timestamp ${new Date(ms).toISOString()}`);
      };
      // Most milliseconds hold no event yet: one query finds which do, so only those need a lookup.
      const millis = [...new Set(inputs.map((e, i) => (e.occurred_at ? Date.parse(e.occurred_at) : receivedAtOf(i))))];
      const occupied = new Set<number>();
      for (let i = 0; i < millis.length; i += INSERT_CHUNK) {
        const firstSlots = millis.slice(i, i + INSERT_CHUNK).map((ms) => ms * PK_SLOTS);
        const rows = await keyScope(trx.selectFrom('events'), orgId).select('pk').where('pk', 'in', firstSlots).execute();
        for (const row of rows) occupied.add(Math.floor(row.pk / PK_SLOTS));
      }
      for (const ms of millis) if (!occupied.has(ms)) nextSlot.set(ms, 0);

      for (const [index, input] of inputs.entries()) {
        const existing = input.id !== undefined ? known.get(input.id) : undefined;
        if (existing) {
          out.push(existing);
          continue;
        }
        seq += 1;
        const draft = buildEntry(input, {
          id: input.id ?? uuidv7(), orgId, seq, prevHash, receivedAt: receivedAtOf(index),
          personalPaths: options.personal?.[index] ? personalPathsOf(orgFields, options.personal[index]) : orgPaths,
        });
        const entry: Entry = { ...draft, hash: entryHash(draft) };
        rows.push({ ...entryToRow(entry), pk: await allocatePk(Date.parse(entry.occurred_at)) });
        out.push({ id: entry.id, seq, hash: entry.hash });
        // A repeated id inside the same batch is a duplicate of its first occurrence.
        if (input.id !== undefined) known.set(input.id, { id: entry.id, seq, hash: entry.hash, duplicate: true });
        prevHash = entry.hash;
      }
      if (rows.length === 0) return out;
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        const chunk = rows.slice(i, i + INSERT_CHUNK);
        await trx.insertInto('events').values(chunk).execute();
      }
      await trx
        .insertInto('chain_heads')
        .values({ org_id: orgId, last_seq: seq, last_hash: prevHash })
        .onConflict((oc) => oc.column('org_id').doUpdateSet({ last_seq: seq, last_hash: prevHash }))
        .execute();
      const lastSeq = seq;
      // Other servers hear of it once it commits: one notification per append, never one per event.
      await adapter.notify(trx, APPEND_CHANNEL, `${orgId}:${lastSeq}`);
      afterCommit(trx, () => {
        for (const listener of listeners) listener(orgId, lastSeq);
      });
      return out;
    });
  }

  /** One entry of an organization by id, or undefined. */
  async function get(orgId: string, id: string): Promise<Entry | undefined> {
    const row = await db.selectFrom('events').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    return row ? rowToEntry(row) : undefined;
  }

  /** Entries of an organization in seq order, from `afterSeq` on, `limit` at a time. */
  async function bySeq(orgId: string, afterSeq: number, limit: number): Promise<Entry[]> {
    const rows = await db
      .selectFrom('events')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map(rowToEntry);
  }

  /** Only the seq and hash of entries in seq order (the Merkle tree's leaves), without reading whole rows. */
  async function hashesBySeq(orgId: string, afterSeq: number, limit: number): Promise<Array<{ seq: number; hash: string }>> {
    return db.selectFrom('events').select(['seq', 'hash']).where('org_id', '=', orgId).where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute();
  }

  /** The newest seq and hash of an organization's chain. */
  async function head(orgId: string, tx: Executor = db): Promise<{ lastSeq: number; lastHash: string }> {
    const row = await tx.selectFrom('chain_heads').select(['last_seq', 'last_hash']).where('org_id', '=', orgId).executeTakeFirst();
    return { lastSeq: row?.last_seq ?? 0, lastHash: row?.last_hash ?? GENESIS_HASH };
  }

  /** The seq of the first entry received at or after `receivedAtMs`, or undefined if none was (a starting point for backfills). */
  async function firstSeqReceivedFrom(orgId: string, receivedAtMs: number): Promise<number | undefined> {
    const row = await db
      .selectFrom('events')
      .select((eb) => eb.fn.min('seq').as('seq'))
      .where('org_id', '=', orgId)
      .where('received_at', '>=', receivedAtMs)
      .executeTakeFirst();
    return row?.seq == null ? undefined : Number(row.seq);
  }

  /** The organization's own personal field paths, which new entries commit to besides the fixed ones. */
  async function personalFields(orgId: string, tx: Executor = db): Promise<string[]> {
    const row = await tx.selectFrom('chain_heads').select('personal_fields').where('org_id', '=', orgId).executeTakeFirst();
    return row ? (JSON.parse(row.personal_fields) as string[]) : [];
  }

  /** Sets them under the head's lock: every append after this transaction commits to the new list. */
  async function setPersonalFields(orgId: string, paths: readonly string[], tx: Executor): Promise<void> {
    await lockHead(tx, orgId);
    await tx.updateTable('chain_heads').set({ personal_fields: JSON.stringify(paths) }).where('org_id', '=', orgId).execute();
  }

  /**
   * Stores entries whose personal fields were erased (personal-fields.ts eraseFields): only the
   * personal columns change, and only if each entry still gives its stored hash, so an erasure can
   * never break the chain. The one update of the events table.
   */
  async function storeErased(orgId: string, erased: Array<{ pk: number; entry: Entry }>, tx: Executor): Promise<void> {
    for (const { pk, entry } of erased) {
      if (entryHash(entry) !== entry.hash) throw new Error(`erasing entry seq ${entry.seq} would change its hash`);
      const row = entryToRow(entry);
      await tx
        .updateTable('events')
        .set({
          action: row.action, actor_id: row.actor_id, actor_email: row.actor_email, actor_name: row.actor_name, obo_id: row.obo_id,
          obo_email: row.obo_email, target_name: row.target_name, ip: row.ip, user_agent: row.user_agent,
          req_body: row.req_body, req_response: row.req_response, metadata: row.metadata, personal: row.personal,
        })
        .where('org_id', '=', orgId)
        .where('pk', '=', pk)
        .where('hash', '=', entry.hash)
        .execute();
    }
  }

  /** Calls `listener(orgId, lastSeq)` after each committed append (live tail, background workers). */
  function onAppend(listener: (orgId: string, lastSeq: number) => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  return { append, get, bySeq, hashesBySeq, head, firstSeqReceivedFrom, onAppend, personalFields, setPersonalFields, storeErased };
}

export type EventStore = ReturnType<typeof createEventStore>;

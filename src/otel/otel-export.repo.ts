import type { Database } from '../db/database.ts';
import { inTransaction, type Executor } from '../db/unit-of-work.ts';

/** The rows this module owns (migration 0003-otel). */
export interface OtelDestinationsTable {
  org_id: string;
  endpoint_url: string;
  protocol: string;
  headers: string;
  max_batch_size: number;
  enabled: number;
  start: string;
  config_version: number;
  updated_at: number;
}

export interface OtelDeliveryTable {
  org_id: string;
  delivered_seq: number;
  last_success_at: number | null;
  last_error_at: number | null;
  last_error_status: number | null;
  last_error_message: string | null;
  last_rejected_at: number | null;
  last_rejected_count: number | null;
  last_rejected_message: string | null;
  rejected_total: number;
}

export type DestinationRow = OtelDestinationsTable;
export type DeliveryRow = OtelDeliveryTable;

/** SQL for the OTLP export tables; only the otel module calls this. */
export function createOtelExportRepo(database: Database) {
  const db = database.db.withTables<{ otel_destinations: OtelDestinationsTable; otel_delivery: OtelDeliveryTable }>();

  async function destination(orgId: string): Promise<DestinationRow | undefined> {
    return db.selectFrom('otel_destinations').selectAll().where('org_id', '=', orgId).executeTakeFirst();
  }

  async function delivery(orgId: string): Promise<DeliveryRow | undefined> {
    return db.selectFrom('otel_delivery').selectAll().where('org_id', '=', orgId).executeTakeFirst();
  }

  /** Enabled destinations, for the worker's round. */
  async function enabledDestinations(): Promise<DestinationRow[]> {
    return db.selectFrom('otel_destinations').selectAll().where('enabled', '=', 1).orderBy('org_id').execute();
  }

  /**
   * Writes the configuration (bumping its version) and, when `cursorSeq` is given, moves the
   * delivery cursor there; a new configuration also clears the recorded error, since it may fix it.
   */
  async function saveDestination(
    row: Omit<DestinationRow, 'config_version'>,
    cursorSeq: number | undefined,
    tx?: Executor,
  ): Promise<void> {
    const on = tx ? tx.withTables<{ otel_destinations: OtelDestinationsTable; otel_delivery: OtelDeliveryTable }>() : db;
    await inTransaction(on, async (trx) => {
      const existing = await trx.selectFrom('otel_destinations').select('config_version').where('org_id', '=', row.org_id).executeTakeFirst();
      const version = (existing?.config_version ?? 0) + 1;
      await trx
        .insertInto('otel_destinations')
        .values({ ...row, config_version: version })
        .onConflict((oc) => oc.column('org_id').doUpdateSet({ ...row, config_version: version }))
        .execute();
      const cursor = cursorSeq ?? 0;
      await trx
        .insertInto('otel_delivery')
        .values({ org_id: row.org_id, delivered_seq: cursor, rejected_total: 0 })
        .onConflict((oc) =>
          oc.column('org_id').doUpdateSet({
            ...(cursorSeq !== undefined ? { delivered_seq: cursorSeq } : {}),
            last_error_at: null,
            last_error_status: null,
            last_error_message: null,
          }),
        )
        .execute();
    });
  }

  /**
   * Moves the cursor from `fromSeq` to `toSeq` after an accepted batch. Compare-and-set: if the
   * configuration reset the cursor while the batch was in flight, the reset wins.
   */
  async function recordSuccess(
    orgId: string,
    move: { fromSeq: number; toSeq: number; at: number },
    rejected: { count: number; message: string | null },
    fence: (tx: Executor) => Promise<void>,
  ): Promise<boolean> {
    const { fromSeq, toSeq, at } = move;
    return inTransaction(db, async (trx) => {
      await fence(trx as unknown as Executor);
      const result = await trx
        .updateTable('otel_delivery')
        .set((eb) => ({
          delivered_seq: toSeq,
          last_success_at: at,
          last_error_at: null,
          last_error_status: null,
          last_error_message: null,
          ...(rejected.count > 0
            ? {
                last_rejected_at: at,
                last_rejected_count: rejected.count,
                last_rejected_message: rejected.message,
                rejected_total: eb('rejected_total', '+', rejected.count),
              }
            : {}),
        }))
        .where('org_id', '=', orgId)
        .where('delivered_seq', '=', fromSeq)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    });
  }

  async function recordError(orgId: string, at: number, status: number | null, message: string): Promise<void> {
    await db
      .updateTable('otel_delivery')
      .set({ last_error_at: at, last_error_status: status, last_error_message: message.slice(0, 1000) })
      .where('org_id', '=', orgId)
      .execute();
  }

  return { destination, delivery, enabledDestinations, saveDestination, recordSuccess, recordError };
}

export type OtelExportRepo = ReturnType<typeof createOtelExportRepo>;

import type { AuditumClient, AuditumError, RetryInfo } from '@auditum/client';
import { rawQuery } from './test-database.ts';

/** The ids of an organization's stored entries in seq order, read from the database itself. */
export async function storedIds(target: { dataDir: string; databaseUrl?: string }, orgId: string): Promise<string[]> {
  const rows = await rawQuery<{ id: string }>(target, 'SELECT id FROM events WHERE org_id = ? ORDER BY seq', [orgId]);
  return rows.map((r) => r.id);
}

/** The `error` and `retry` events of a client, in the order they came. */
export interface ClientEvents {
  errors: AuditumError[];
  retries: Array<RetryInfo & { at: number }>;
}

/** Collects every `error` and `retry` event a client emits from now on. */
export function watchClient(client: AuditumClient): ClientEvents {
  const seen: ClientEvents = { errors: [], retries: [] };
  client.on('error', (error: AuditumError) => seen.errors.push(error));
  client.on('retry', (info: RetryInfo) => seen.retries.push({ ...info, at: Date.now() }));
  return seen;
}

/** A UUID of version 7 (RFC 9562): the SDK's client-side ids. */
export const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

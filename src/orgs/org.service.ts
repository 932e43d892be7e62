import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Database } from '../db/database.ts';
import { inTransaction, type Executor } from '../db/unit-of-work.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';

export const slugSchema = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'must be 1-63 lowercase letters, digits and inner hyphens');

export interface Org {
  id: string;
  slug: string;
  name: string;
  created_at: string;
}

const toOrg = (row: { id: string; slug: string; name: string; created_at: number }): Org => ({
  ...row,
  created_at: new Date(row.created_at).toISOString(),
});

/** Organizations: the unit every entry, key and member belongs to. */
export function createOrgService({ database }: { database: Database }) {
  const { db } = database;
  const createdListeners = new Set<(org: Org, tx: Executor) => Promise<void>>();

  /** Creates an organization; the `onCreated` listeners give it their defaults in the same transaction. */
  async function create(slug: string, name?: string, tx: Executor = db): Promise<Org> {
    const parsed = slugSchema.safeParse(slug);
    if (!parsed.success) throw new ValidationError(`invalid organization slug "${slug}": ${parsed.error.issues[0]?.message}`);
    const exists = await tx.selectFrom('orgs').select('id').where('slug', '=', slug).executeTakeFirst();
    if (exists) throw new ConflictError(`organization "${slug}" already exists`);
    const row = { id: randomUUID(), slug, name: name?.trim() || slug, created_at: Date.now() };
    const org = toOrg(row);
    await inTransaction(tx, async (trx) => {
      await trx.insertInto('orgs').values(row).execute();
      for (const listener of createdListeners) await listener(org, trx);
    });
    return org;
  }

  async function bySlug(slug: string): Promise<Org> {
    const row = await db.selectFrom('orgs').selectAll().where('slug', '=', slug).executeTakeFirst();
    if (!row) throw new NotFoundError(`organization "${slug}"`);
    return toOrg(row);
  }

  async function byId(id: string, tx: Executor = db): Promise<Org> {
    const row = await tx.selectFrom('orgs').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError('organization');
    return toOrg(row);
  }

  async function rename(id: string, name: string, tx: Executor = db): Promise<Org> {
    await tx.updateTable('orgs').set({ name }).where('id', '=', id).execute();
    return byId(id, tx);
  }

  /** Every organization's id (background jobs walk them). */
  async function ids(): Promise<string[]> {
    return (await db.selectFrom('orgs').select('id').orderBy('created_at').execute()).map((r) => r.id);
  }

  /** Runs `listener` after each organization is created (other modules give it their defaults). */
  function onCreated(listener: (org: Org, tx: Executor) => Promise<void>): () => void {
    createdListeners.add(listener);
    return () => createdListeners.delete(listener);
  }

  return { create, bySlug, byId, rename, ids, onCreated };
}

export type OrgService = ReturnType<typeof createOrgService>;

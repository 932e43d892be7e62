import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database.ts';
import type { Executor } from '../db/unit-of-work.ts';
import type { Role } from '../db/tables.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';
import { hashPassword, passwordSchema } from './password.ts';

export interface Member {
  user_id: string;
  email: string;
  name: string | null;
  role: Role;
  status: 'active' | 'deactivated';
  joined_at: string;
}

export { ROLES } from './members-view.schema.ts';

/** Users (global) and their memberships in organizations, with the always-one-owner rule. */
export function createUserService({ database }: { database: Database }) {
  const { db } = database;

  async function create(email: string, password: string, name?: string, tx: Executor = db): Promise<{ id: string; email: string }> {
    const checked = passwordSchema.safeParse(password);
    if (!checked.success) throw new ValidationError(`password ${checked.error.issues[0]?.message}`, [{ field: 'password', message: checked.error.issues[0]!.message }]);
    const normalized = email.trim().toLowerCase();
    if (await byEmail(normalized, tx)) throw new ConflictError(`a user with email ${normalized} already exists`);
    const row = { id: randomUUID(), email: normalized, name: name?.trim() || null, password_hash: await hashPassword(password), created_at: Date.now() };
    await tx.insertInto('users').values(row).execute();
    return { id: row.id, email: row.email };
  }

  function byEmail(email: string, tx: Executor = db) {
    return tx.selectFrom('users').selectAll().where('email', '=', email.trim().toLowerCase()).executeTakeFirst();
  }

  function byId(id: string) {
    return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async function count(): Promise<number> {
    const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async function addMember(orgId: string, userId: string, role: Role, tx: Executor = db): Promise<void> {
    await tx
      .insertInto('memberships')
      .values({ org_id: orgId, user_id: userId, role, status: 'active', created_at: Date.now() })
      .onConflict((oc) => oc.columns(['org_id', 'user_id']).doUpdateSet({ role, status: 'active' }))
      .execute();
  }

  /** The membership of a user in an organization, if any. */
  function membership(orgId: string, userId: string, tx: Executor = db) {
    return tx.selectFrom('memberships').selectAll().where('org_id', '=', orgId).where('user_id', '=', userId).executeTakeFirst();
  }

  /** Organizations a user belongs to (active memberships), for choosing one at sign-in. */
  function orgsOf(userId: string) {
    return db
      .selectFrom('memberships')
      .innerJoin('orgs', 'orgs.id', 'memberships.org_id')
      .select(['orgs.id', 'orgs.slug', 'orgs.name', 'memberships.role'])
      .where('memberships.user_id', '=', userId)
      .where('memberships.status', '=', 'active')
      .orderBy('orgs.slug')
      .execute();
  }

  async function members(orgId: string, tx: Executor = db): Promise<Member[]> {
    const rows = await tx
      .selectFrom('memberships')
      .innerJoin('users', 'users.id', 'memberships.user_id')
      .select(['users.id', 'users.email', 'users.name', 'memberships.role', 'memberships.status', 'memberships.created_at'])
      .where('memberships.org_id', '=', orgId)
      .orderBy('users.email')
      .execute();
    return rows.map((r) => ({ user_id: r.id, email: r.email, name: r.name, role: r.role, status: r.status, joined_at: new Date(r.created_at).toISOString() }));
  }

  async function requireMember(orgId: string, userId: string, tx: Executor) {
    const found = await membership(orgId, userId, tx);
    if (!found) throw new NotFoundError('member');
    return found;
  }

  /** Throws unless another active owner would remain after `userId` stops being one. */
  async function keepAnOwner(orgId: string, userId: string, tx: Executor): Promise<void> {
    const owners = await tx
      .selectFrom('memberships')
      .select('user_id')
      .where('org_id', '=', orgId)
      .where('role', '=', 'owner')
      .where('status', '=', 'active')
      .execute();
    if (owners.every((o) => o.user_id === userId)) throw new ConflictError('an organization must keep at least one active owner');
  }

  /** Changes a member's role; only owners may grant or take away ownership or change roles at all. */
  async function changeRole(orgId: string, userId: string, role: Role, tx: Executor = db): Promise<{ from: Role; to: Role }> {
    const current = await requireMember(orgId, userId, tx);
    if (current.role === 'owner' && role !== 'owner') await keepAnOwner(orgId, userId, tx);
    await tx.updateTable('memberships').set({ role }).where('org_id', '=', orgId).where('user_id', '=', userId).execute();
    return { from: current.role, to: role };
  }

  async function setStatus(
    orgId: string,
    userId: string,
    status: 'active' | 'deactivated',
    actorRole: Role | undefined,
    tx: Executor = db,
  ): Promise<void> {
    const current = await requireMember(orgId, userId, tx);
    if (current.role === 'owner' && actorRole !== 'owner') throw new ForbiddenError('only owners can deactivate an owner');
    if (status === 'deactivated' && current.role === 'owner') await keepAnOwner(orgId, userId, tx);
    await tx.updateTable('memberships').set({ status }).where('org_id', '=', orgId).where('user_id', '=', userId).execute();
  }

  async function remove(orgId: string, userId: string, actorRole: Role | undefined, tx: Executor = db): Promise<void> {
    const current = await requireMember(orgId, userId, tx);
    if (current.role === 'owner' && actorRole !== 'owner') throw new ForbiddenError('only owners can remove an owner');
    if (current.role === 'owner') await keepAnOwner(orgId, userId, tx);
    await tx.deleteFrom('memberships').where('org_id', '=', orgId).where('user_id', '=', userId).execute();
  }

  return { create, byEmail, byId, count, addMember, membership, orgsOf, members, changeRole, setStatus, remove };
}

export type UserService = ReturnType<typeof createUserService>;

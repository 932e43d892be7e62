import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database.ts';
import type { Executor } from '../db/unit-of-work.ts';
import type { Role } from '../db/tables.ts';
import { AuthError, ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { verifyPassword } from './password.ts';
import { randomToken, sha256 } from './secrets.ts';
import type { UserService } from './user.service.ts';

export interface InviteInfo {
  id: string;
  email: string;
  role: Role;
  status: 'pending' | 'accepted' | 'revoked' | 'expired';
  created_at: string;
  expires_at: string;
}

/** Single-use invitation links with an expiry; only the token's hash is stored. */
export function createInviteService({ database, users, ttlMs }: { database: Database; users: UserService; ttlMs: number }) {
  const { db } = database;

  const toInfo = (row: { id: string; email: string; role: Role; created_at: number; expires_at: number; accepted_at: number | null; revoked_at: number | null }): InviteInfo => ({
    id: row.id,
    email: row.email,
    role: row.role,
    status: row.accepted_at ? 'accepted' : row.revoked_at ? 'revoked' : row.expires_at <= Date.now() ? 'expired' : 'pending',
    created_at: new Date(row.created_at).toISOString(),
    expires_at: new Date(row.expires_at).toISOString(),
  });

  async function create(
    orgId: string,
    email: string,
    role: Role,
    invitedBy: string,
    tx: Executor = db,
  ): Promise<{ invite: InviteInfo; token: string }> {
    const normalized = email.trim().toLowerCase();
    const existing = await users.byEmail(normalized, tx);
    if (existing && (await users.membership(orgId, existing.id, tx))?.status === 'active') throw new ConflictError(`${normalized} is already a member`);
    const token = randomToken();
    const now = Date.now();
    const row = { id: randomUUID(), org_id: orgId, email: normalized, role, token_hash: sha256(token), invited_by: invitedBy, created_at: now, expires_at: now + ttlMs, accepted_at: null, revoked_at: null };
    await tx.insertInto('invites').values(row).execute();
    return { invite: toInfo(row), token };
  }

  async function list(orgId: string): Promise<InviteInfo[]> {
    const rows = await db.selectFrom('invites').selectAll().where('org_id', '=', orgId).orderBy('created_at', 'desc').execute();
    return rows.map(toInfo);
  }

  async function revoke(orgId: string, id: string, tx: Executor = db): Promise<InviteInfo> {
    const row = await tx.selectFrom('invites').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError('invite');
    if (row.accepted_at !== null) throw new ConflictError('the invite was already accepted');
    await tx.updateTable('invites').set({ revoked_at: Date.now() }).where('id', '=', id).execute();
    return toInfo({ ...row, revoked_at: Date.now() });
  }

  /**
   * Accepts an invite: creates the user with `password` (or, for an existing user, checks it)
   * and adds the membership. Returns the organization and user for the caller to record.
   */
  async function accept(
    token: string,
    password: string,
    name?: string,
    tx: Executor = db,
  ): Promise<{ orgId: string; userId: string; email: string; role: Role; inviteId: string }> {
    const row = await tx.selectFrom('invites').selectAll().where('token_hash', '=', sha256(token)).executeTakeFirst();
    if (!row || row.accepted_at !== null || row.revoked_at !== null) throw new ValidationError('this invite link is not valid (already used or revoked)');
    if (row.expires_at <= Date.now()) throw new ValidationError('this invite link has expired; ask for a new one');
    let user = await users.byEmail(row.email, tx);
    if (user) {
      if (!(await verifyPassword(user.password_hash, password))) throw new AuthError('wrong password for the existing account');
    } else {
      await users.create(row.email, password, name, tx);
      user = await users.byEmail(row.email, tx);
    }
    // Claim the invite first: a second, concurrent accept finds it used.
    const claimed = await tx.updateTable('invites').set({ accepted_at: Date.now() }).where('id', '=', row.id).where('accepted_at', 'is', null).executeTakeFirst();
    if (Number(claimed.numUpdatedRows) === 0) throw new ValidationError('this invite link is not valid (already used or revoked)');
    await users.addMember(row.org_id, user!.id, row.role, tx);
    return { orgId: row.org_id, userId: user!.id, email: row.email, role: row.role, inviteId: row.id };
  }

  /**
   * What an invitation link is for, shown before its form is filled: the organization, the email,
   * the role and whether it can still be used. Null for a token that is no invitation.
   */
  async function lookup(token: string): Promise<(InviteInfo & { org_name: string; existing_account: boolean }) | null> {
    const row = await db
      .selectFrom('invites')
      .innerJoin('orgs', 'orgs.id', 'invites.org_id')
      .selectAll('invites')
      .select('orgs.name as org_name')
      .where('invites.token_hash', '=', sha256(token))
      .executeTakeFirst();
    if (!row) return null;
    const existing = (await users.byEmail(row.email)) !== undefined;
    return { ...toInfo(row), org_name: row.org_name, existing_account: existing };
  }

  return { create, list, revoke, accept, lookup };
}

export type InviteService = ReturnType<typeof createInviteService>;

import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database.ts';
import { inTransaction, type Executor } from '../db/unit-of-work.ts';
import type { Role } from '../db/tables.ts';
import { AppError, AuthError, ForbiddenError, NotFoundError, unlessStorageFailure } from '../errors.ts';
import type { DeviceCookies } from './device-cookie.ts';
import type { LoginLimits } from './login-limits.ts';
import { dummyHash, verifyPassword } from './password.ts';
import type { Principal } from './principal.ts';
import { randomToken, sameHash, sha256 } from './secrets.ts';
import type { UserService } from './user.service.ts';

export interface SessionOptions {
  idleMs: number;
  maxAgeMs: number;
}

/** Why a sign-in failed, for the audit log (the client only ever hears "invalid email or password"). */
export interface LoginFailure {
  reason: 'unknown_user' | 'wrong_password' | 'no_membership' | 'rate_limited';
  userId?: string;
  orgIds: string[];
  /** With `rate_limited`: when trying again can help. */
  retryAfterMs?: number;
}

export interface LoginInput {
  email: string;
  password: string;
  org?: string;
  ip: string;
  userAgent?: string;
  /** The device cookie the browser sent, if any. */
  device?: string;
}

export interface LoginResult {
  token: string;
  csrf: string;
  sessionId: string;
  userId: string;
  orgId: string;
  role: Role;
  /** A fresh device cookie value for this browser. */
  device: string;
}

/**
 * The CSRF token of a session: derived from the session token, so only someone who holds the
 * cookie's value (never readable by script) or reads our same-origin responses can know it.
 */
export function csrfTokenFor(sessionToken: string): string {
  return sha256(`auditum-csrf:${sessionToken}`);
}

/** Server-side sessions: the cookie holds a random token, the table only its hash. */
export function createSessionService(deps: {
  database: Database;
  users: UserService;
  limits: LoginLimits;
  devices: DeviceCookies;
  options: SessionOptions;
}) {
  const { database, users, limits, devices, options } = deps;
  const { db } = database;

  /**
   * Checks email and password (within the sign-in limits) and opens a session in `orgSlug` (or the
   * user's first organization). On failure throws 401 (or 429 when limited) after calling `onFailure`.
   */
  /**
   * Checks the password and opens a session. `onOpened` runs in the session's transaction (to record
   * the sign-in with it): a session whose record fails is never opened.
   */
  async function login(
    input: LoginInput,
    onFailure: (failure: LoginFailure) => Promise<void>,
    onOpened?: (opened: { sessionId: string; userId: string; orgId: string; email: string }, tx: Executor) => Promise<void>,
  ): Promise<LoginResult> {
    const email = input.email.trim().toLowerCase();
    const user = await users.byEmail(email);
    const orgs = user ? await users.orgsOf(user.id) : [];
    const fail = async (reason: LoginFailure['reason'], retryAfterMs?: number): Promise<never> => {
      await onFailure({ reason, userId: user?.id, orgIds: orgs.map((o) => o.id), retryAfterMs });
      const tooMany = 'too many failed sign-ins; try again later';
      if (reason === 'rate_limited') throw new AppError(429, 'too_many_attempts', tooMany);
      throw new AuthError('invalid email or password');
    };
    const deviceId = user ? devices.verify(input.device, user.id) : undefined;
    const admission = await limits.admit({ account: email, ip: input.ip, deviceId });
    if (!admission.admitted) return fail('rate_limited', admission.retryAfterMs);
    const ok = await verifyPassword(user?.password_hash ?? (await dummyHash), input.password);
    if (!user || !ok) return fail(user ? 'wrong_password' : 'unknown_user');
    await limits.succeeded(admission.ticket);
    const org = input.org ? orgs.find((o) => o.slug === input.org) : orgs[0];
    if (!org) return fail('no_membership');
    const token = randomToken();
    const csrf = csrfTokenFor(token);
    const now = Date.now();
    const sessionId = randomUUID();
    await inTransaction(db, async (tx) => {
      await tx
        .insertInto('sessions')
        .values({
          id: sessionId,
          token_hash: sha256(token),
          user_id: user.id,
          org_id: org.id,
          ip: input.ip,
          user_agent: input.userAgent?.slice(0, 1024) ?? null,
          created_at: now,
          last_seen_at: now,
          revoked_at: null,
        })
        .execute();
      await onOpened?.({ sessionId, userId: user.id, orgId: org.id, email: user.email }, tx);
    });
    const device = devices.issue(user.id, now);
    return { token, csrf, sessionId, userId: user.id, orgId: org.id, role: org.role, device };
  }

  /** Resolves a session cookie to its principal; the role is read fresh, so changes apply at once. */
  async function authenticate(token: string): Promise<Principal & { csrfToken: string }> {
    const row = await db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .innerJoin('memberships', (join) => join.onRef('memberships.user_id', '=', 'sessions.user_id').onRef('memberships.org_id', '=', 'sessions.org_id'))
      .select(['sessions.id', 'sessions.org_id', 'sessions.user_id', 'sessions.created_at', 'sessions.last_seen_at', 'sessions.revoked_at', 'users.email', 'users.name', 'memberships.role', 'memberships.status'])
      .where('sessions.token_hash', '=', sha256(token))
      .executeTakeFirst();
    const now = Date.now();
    if (!row || row.revoked_at !== null) throw new AuthError('session expired or signed out; sign in again');
    if (now - row.last_seen_at > options.idleMs || now - row.created_at > options.maxAgeMs) throw new AuthError('session expired; sign in again');
    if (row.status !== 'active') throw new AuthError('your membership is deactivated');
    // Bookkeeping: on a full or read-only disk the session still reads (at worst it idles out a little early).
    if (now - row.last_seen_at > 60_000) {
      await db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', row.id).execute().catch(unlessStorageFailure);
    }
    return {
      orgId: row.org_id,
      kind: 'session',
      role: row.role,
      scopes: new Set(),
      userId: row.user_id,
      sessionId: row.id,
      csrfToken: csrfTokenFor(token),
      actor: { id: row.user_id, type: 'user', email: row.email, ...(row.name ? { name: row.name } : {}) },
    };
  }

  function checkCsrf(expected: string, presented: string | undefined): void {
    if (!presented || !/^[0-9a-f]{64}$/.test(presented) || !sameHash(expected, presented)) throw new ForbiddenError('missing or invalid X-CSRF-Token header');
  }

  /** Ends a session. Users end their own; `orgId` scopes admins to their organization's members. */
  async function revoke(sessionId: string, scope: { userId?: string; orgId?: string }, tx: Executor = db): Promise<void> {
    let query = tx.updateTable('sessions').set({ revoked_at: Date.now() }).where('id', '=', sessionId).where('revoked_at', 'is', null);
    if (scope.userId) query = query.where('user_id', '=', scope.userId);
    if (scope.orgId) query = query.where('org_id', '=', scope.orgId);
    const result = await query.executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw new NotFoundError('session');
  }

  /** Ends every session of a user in an organization (deactivation, removal). */
  async function revokeAll(orgId: string, userId: string, tx: Executor = db): Promise<void> {
    await tx
      .updateTable('sessions')
      .set({ revoked_at: Date.now() })
      .where('org_id', '=', orgId)
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .execute();
  }

  async function listForUser(userId: string, currentId?: string) {
    const rows = await db
      .selectFrom('sessions')
      .select(['id', 'org_id', 'ip', 'user_agent', 'created_at', 'last_seen_at'])
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .where('last_seen_at', '>', Date.now() - options.idleMs)
      .orderBy('last_seen_at', 'desc')
      .execute();
    return rows.map((r) => ({ ...r, created_at: new Date(r.created_at).toISOString(), last_seen_at: new Date(r.last_seen_at).toISOString(), current: r.id === currentId }));
  }

  return { login, authenticate, checkCsrf, revoke, revokeAll, listForUser };
}

export type SessionService = ReturnType<typeof createSessionService>;

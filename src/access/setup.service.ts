import type { Database } from '../db/database.ts';
import { inTransaction } from '../db/unit-of-work.ts';
import type { OrgService } from '../orgs/org.service.ts';
import { ValidationError } from '../errors.ts';
import { randomToken, sha256 } from './secrets.ts';
import type { UserService } from './user.service.ts';

const SETUP_TTL_MS = 24 * 60 * 60 * 1000;

/** First run: while no user exists, a one-time token lets someone create the first organization and its owner. */
export function createSetupService({ database, users, orgs }: { database: Database; users: UserService; orgs: OrgService }) {
  const { db } = database;

  /** A fresh one-time token when the database has no user yet, else null. */
  async function tokenIfNeeded(): Promise<string | null> {
    if ((await users.count()) > 0) return null;
    const token = randomToken();
    const now = Date.now();
    await db.insertInto('setup_tokens').values({ token_hash: sha256(token), created_at: now, expires_at: now + SETUP_TTL_MS, used_at: null }).execute();
    return token;
  }

  async function complete(token: string, input: { orgSlug: string; orgName?: string; email: string; password: string; name?: string }): Promise<void> {
    const row = await db.selectFrom('setup_tokens').selectAll().where('token_hash', '=', sha256(token)).executeTakeFirst();
    if (!row || row.used_at !== null || row.expires_at <= Date.now() || (await users.count()) > 0) {
      throw new ValidationError('this setup link is not valid: it was used, expired, or Auditum is already set up');
    }
    // The organization, its owner and the spent token commit together: a failed setup can be retried.
    await inTransaction(db, async (tx) => {
      const org = await orgs.create(input.orgSlug, input.orgName, tx);
      const user = await users.create(input.email, input.password, input.name, tx);
      await users.addMember(org.id, user.id, 'owner', tx);
      await tx.updateTable('setup_tokens').set({ used_at: Date.now() }).where('token_hash', '=', row.token_hash).execute();
    });
  }

  /** Whether Auditum still waits for its first owner (no user exists). */
  const pending = async (): Promise<boolean> => (await users.count()) === 0;

  return { tokenIfNeeded, complete, pending };
}

export type SetupService = ReturnType<typeof createSetupService>;

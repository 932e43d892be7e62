import { randomBytes } from 'node:crypto';
import type { Database } from '../db/database.ts';
import { afterCommit, type Executor } from '../db/unit-of-work.ts';
import { AuthError, NotFoundError, unlessStorageFailure, ValidationError } from '../errors.ts';
import { SCOPES, type Principal, type Scope } from './principal.ts';
import { sameHash, sha256 } from './secrets.ts';

const KEY_PREFIX = 'adt';
/** Don't write last_used_at more often than this per key. */
const LAST_USED_RESOLUTION_MS = 60_000;
/**
 * How long a key row read for authentication is reused by this server: a request stream needs
 * no lookup per request. A revocation takes effect at once on the server that made it and within
 * this long on the others. Only keys that authenticated are kept; unknown or wrong keys always go
 * to the database (and cannot fill the cache).
 */
export const API_KEY_CACHE_MS = 2000;
const API_KEY_CACHE_MAX = 10_000;


export interface ApiKeyInfo {
  id: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Parses "events:write,events:read" into scopes, naming any unknown one. */
export function parseScopes(text: string): Scope[] {
  const scopes = text.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown.length) throw new ValidationError(`unknown scope ${unknown.join(', ')}; expected ${SCOPES.join(', ')}`);
  if (scopes.length === 0) throw new ValidationError('at least one scope is required');
  return [...new Set(scopes)] as Scope[];
}

/**
 * API keys: `adt_<id>_<secret>`. Only SHA-256 of the whole key is stored (keys are 256-bit
 * random, so a slow hash adds nothing); the id is the visible prefix used for lookup.
 */
export function createApiKeyService({ database }: { database: Database }) {
  const { db } = database;
  type KeyRow = NonNullable<Awaited<ReturnType<typeof readKey>>>;
  /** Key rows that authenticated lately, by id (API_KEY_CACHE_MS); the oldest written goes first. */
  const recent = new Map<string, { row: KeyRow; at: number }>();
  const readKey = (id: string) => db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
  const remember = (row: KeyRow, at: number) => {
    recent.delete(row.id);
    if (recent.size >= API_KEY_CACHE_MAX) recent.delete(recent.keys().next().value!);
    recent.set(row.id, { row, at });
  };

  async function create(
    orgId: string,
    options: { name?: string; scopes: Scope[]; expiresAt?: number },
    tx: Executor = db,
  ): Promise<{ key: string; info: ApiKeyInfo }> {
    const id = randomBytes(6).toString('hex');
    const key = `${KEY_PREFIX}_${id}_${randomBytes(32).toString('base64url')}`;
    const row = {
      id,
      org_id: orgId,
      name: options.name ?? 'api key',
      key_hash: sha256(key),
      scopes: options.scopes.join(','),
      created_at: Date.now(),
      expires_at: options.expiresAt ?? null,
      last_used_at: null,
      revoked_at: null,
    };
    await tx.insertInto('api_keys').values(row).execute();
    return { key, info: toInfo(row) };
  }

  function toInfo(row: { id: string; name: string; scopes: string; created_at: number; expires_at: number | null; last_used_at: number | null; revoked_at: number | null }): ApiKeyInfo {
    return {
      id: row.id,
      name: row.name,
      prefix: `${KEY_PREFIX}_${row.id}`,
      scopes: row.scopes.split(',') as Scope[],
      created_at: new Date(row.created_at).toISOString(),
      expires_at: iso(row.expires_at),
      last_used_at: iso(row.last_used_at),
      revoked_at: iso(row.revoked_at),
    };
  }

  /** Resolves a presented key to its principal, or throws 401 (unknown, wrong, revoked or expired). */
  async function authenticate(presented: string): Promise<Principal> {
    const match = /^adt_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/.exec(presented);
    if (!match) throw new AuthError('invalid API key');
    const now = Date.now();
    const cached = recent.get(match[1]!);
    const row = cached && now - cached.at < API_KEY_CACHE_MS
      ? cached.row
      : await readKey(match[1]!);
    if (!row || !sameHash(row.key_hash, sha256(presented))) throw new AuthError('invalid API key');
    if (row.revoked_at !== null) throw new AuthError('API key has been revoked');
    if (row.expires_at !== null && row.expires_at <= now) throw new AuthError('API key has expired');
    if (row.last_used_at === null || now - row.last_used_at > LAST_USED_RESOLUTION_MS) {
      // Bookkeeping: on a full or read-only disk the key still reads (the write is what is refused).
      await db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', row.id).execute().catch(unlessStorageFailure);
      row.last_used_at = now;
    }
    if (!cached || cached.row !== row) remember(row, now);
    return {
      orgId: row.org_id,
      kind: 'api_key',
      scopes: new Set(row.scopes.split(',') as Scope[]),
      actor: { id: row.id, type: 'api_key', name: row.name },
    };
  }

  async function list(orgId: string): Promise<ApiKeyInfo[]> {
    const rows = await db.selectFrom('api_keys').selectAll().where('org_id', '=', orgId).orderBy('created_at', 'desc').execute();
    return rows.map(toInfo);
  }

  async function revoke(orgId: string, id: string, tx: Executor = db): Promise<ApiKeyInfo> {
    recent.delete(id);
    afterCommit(tx, () => recent.delete(id));
    await tx
      .updateTable('api_keys')
      .set({ revoked_at: Date.now() })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .execute();
    const row = await tx.selectFrom('api_keys').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError('API key');
    return toInfo(row);
  }

  return { create, authenticate, list, revoke };
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>;

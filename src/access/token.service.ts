import { randomBytes, randomUUID } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { Database } from '../db/database.ts';
import type { Executor } from '../db/unit-of-work.ts';
import { AppError, AuthError, NotFoundError } from '../errors.ts';
import type { Principal, Scope } from './principal.ts';
import { randomToken, sameHash, sha256 } from './secrets.ts';

const ISSUER = 'auditum';

export interface OauthClientInfo {
  client_id: string;
  name: string;
  scopes: Scope[];
  created_at: string;
  revoked_at: string | null;
}

export interface Viewer {
  id: string;
  email?: string;
  name?: string;
}

/** The OAuth2 error shape of RFC 6749 section 5.2, as an AppError. */
export class OauthError extends AppError {
  constructor(
    code: 'invalid_client' | 'invalid_request' | 'invalid_scope' | 'unsupported_grant_type',
    message: string,
    status = code === 'invalid_client' ? 401 : 400,
  ) {
    super(status, code, message);
  }
}

/**
 * OAuth2 client credentials (RFC 6749 section 4.4) and embeddable viewer tokens: both are
 * short-lived HS256 JWTs (jose) signed with the data dir's key. OAuth2 tokens are checked
 * against the client on every use, so revoking a client takes effect at once.
 */
export function createTokenService({ database, key, accessTokenTtlSeconds }: { database: Database; key: Uint8Array; accessTokenTtlSeconds: number }) {
  const { db } = database;

  const toInfo = (row: { id: string; name: string; scopes: string; created_at: number; revoked_at: number | null }): OauthClientInfo => ({
    client_id: row.id,
    name: row.name,
    scopes: row.scopes.split(',') as Scope[],
    created_at: new Date(row.created_at).toISOString(),
    revoked_at: row.revoked_at === null ? null : new Date(row.revoked_at).toISOString(),
  });

  async function createClient(
    orgId: string,
    name: string,
    scopes: Scope[],
    tx: Executor = db,
  ): Promise<{ client: OauthClientInfo; secret: string }> {
    const secret = `ocs_${randomToken()}`;
    const row = {
      id: `oc_${randomBytes(8).toString('hex')}`,
      org_id: orgId,
      name,
      secret_hash: sha256(secret),
      scopes: scopes.join(','),
      created_at: Date.now(),
      revoked_at: null,
    };
    await tx.insertInto('oauth_clients').values(row).execute();
    return { client: toInfo(row), secret };
  }

  async function listClients(orgId: string): Promise<OauthClientInfo[]> {
    const rows = await db.selectFrom('oauth_clients').selectAll().where('org_id', '=', orgId).orderBy('created_at', 'desc').execute();
    return rows.map(toInfo);
  }

  async function revokeClient(orgId: string, clientId: string, tx: Executor = db): Promise<OauthClientInfo> {
    await tx
      .updateTable('oauth_clients')
      .set({ revoked_at: Date.now() })
      .where('org_id', '=', orgId)
      .where('id', '=', clientId)
      .where('revoked_at', 'is', null)
      .execute();
    const row = await tx
      .selectFrom('oauth_clients')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('id', '=', clientId)
      .executeTakeFirst();
    if (!row) throw new NotFoundError('OAuth2 client');
    return toInfo(row);
  }

  /** The client_credentials grant: checks the secret and returns a bearer token with the granted scopes. */
  async function issueClientToken(clientId: string, secret: string, requested?: string): Promise<{ access_token: string; token_type: 'Bearer'; expires_in: number; scope: string; orgId: string }> {
    const row = await db.selectFrom('oauth_clients').selectAll().where('id', '=', clientId).executeTakeFirst();
    if (!row || row.revoked_at !== null || !sameHash(row.secret_hash, sha256(secret))) throw new OauthError('invalid_client', 'unknown client or wrong secret');
    const allowed = row.scopes.split(',');
    const scopes = requested ? requested.split(' ').filter(Boolean) : allowed;
    const extra = scopes.filter((s) => !allowed.includes(s));
    if (extra.length) throw new OauthError('invalid_scope', `scope not granted to this client: ${extra.join(' ')}`);
    const token = await new SignJWT({ typ: 'oauth2', org: row.org_id, scope: scopes.join(' ') })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setSubject(row.id)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime(`${accessTokenTtlSeconds}s`)
      .sign(key);
    return { access_token: token, token_type: 'Bearer', expires_in: accessTokenTtlSeconds, scope: scopes.join(' '), orgId: row.org_id };
  }

  /** A signed token letting `viewer` see one organization's audit log inside a host application. */
  async function mintViewerToken(orgId: string, viewer: Viewer, ttlSeconds: number, mintedBy: string): Promise<{ token: string; expires_at: string }> {
    const token = await new SignJWT({ typ: 'viewer', org: orgId, viewer, minted_by: mintedBy })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setSubject(viewer.id)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(key);
    return { token, expires_at: new Date(Date.now() + ttlSeconds * 1000).toISOString() };
  }

  /** Resolves one of our JWTs to a principal; null when the token is not a JWT at all. */
  async function authenticate(token: string): Promise<Principal | null> {
    if (!/^ey[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) return null;
    let payload;
    try {
      ({ payload } = await jwtVerify(token, key, { issuer: ISSUER, algorithms: ['HS256'] }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new AuthError('token has expired');
      throw new AuthError('invalid token');
    }
    const org = String(payload.org ?? '');
    if (payload.typ === 'oauth2') {
      const client = await db.selectFrom('oauth_clients').select(['id', 'name', 'revoked_at']).where('id', '=', String(payload.sub)).where('org_id', '=', org).executeTakeFirst();
      if (!client || client.revoked_at !== null) throw new AuthError('OAuth2 client has been revoked');
      return { orgId: org, kind: 'oauth2_client', scopes: new Set(String(payload.scope ?? '').split(' ') as Scope[]), actor: { id: client.id, type: 'oauth2_client', name: client.name } };
    }
    if (payload.typ === 'viewer') {
      const viewer = payload.viewer as Viewer;
      return {
        orgId: org,
        kind: 'viewer',
        scopes: new Set(),
        tokenId: String(payload.jti),
        actor: { id: viewer.id, type: 'user', ...(viewer.email ? { email: viewer.email } : {}), ...(viewer.name ? { name: viewer.name } : {}) },
      };
    }
    throw new AuthError('invalid token');
  }

  return { createClient, listClients, revokeClient, issueClientToken, mintViewerToken, authenticate };
}

export type TokenService = ReturnType<typeof createTokenService>;

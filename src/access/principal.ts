import type { Role } from '../db/tables.ts';
import type { Scope } from './credentials-view.schema.ts';

export { SCOPES, type Scope } from './credentials-view.schema.ts';

/** What a request may do; routes ask for one of these, never for a role or scope directly. */
export type Permission =
  | 'events:write' // send events
  | 'events:read' // view, search, verify the audit log
  | 'export' // export the audit log
  | 'settings' // change the organization's settings, export destinations, alert rules
  | 'members' // invite, deactivate, remove members
  | 'credentials' // API keys, OAuth2 clients, viewer tokens
  | 'owner'; // change roles, retention, other owners

/** Who is calling, resolved from the request's credentials; every query is scoped to `orgId`. */
export interface Principal {
  orgId: string;
  kind: 'session' | 'api_key' | 'oauth2_client' | 'viewer';
  /** A signed-in user's role in `orgId`. */
  role?: Role;
  /** A machine credential's scopes. */
  scopes: ReadonlySet<Scope>;
  userId?: string;
  sessionId?: string;
  /** The id (jti) of a viewer token. */
  tokenId?: string;
  /** The actor recorded when this principal changes or reads something. */
  actor: {
    id: string;
    type: 'user' | 'api_key' | 'oauth2_client' | 'system';
    email?: string;
    name?: string;
    on_behalf_of?: { id: string; email?: string };
  };
}

const ADMIN_PERMISSIONS: ReadonlySet<Permission> = new Set(['events:write', 'events:read', 'export', 'settings', 'members', 'credentials']);

/** The one place roles and scopes turn into permissions. */
export function can(principal: Principal, permission: Permission): boolean {
  switch (principal.kind) {
    case 'session':
      if (principal.role === 'owner') return true;
      if (principal.role === 'admin') return ADMIN_PERMISSIONS.has(permission);
      return false;
    case 'viewer':
      return permission === 'events:read' || permission === 'export';
    default: {
      const scopes = principal.scopes;
      if (permission === 'owner') return false;
      if (scopes.has('admin')) return true;
      if (permission === 'events:write') return scopes.has('events:write');
      if (permission === 'events:read' || permission === 'export') return scopes.has('events:read');
      return false;
    }
  }
}

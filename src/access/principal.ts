/** Scopes a credential can carry. */
export const SCOPES = ['events:write', 'events:read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Who is calling, resolved from the request's credentials; every query is scoped to `orgId`. */
export interface Principal {
  orgId: string;
  scopes: ReadonlySet<Scope>;
  /** The actor recorded when this principal changes something. */
  actor: {
    id: string;
    type: 'user' | 'api_key' | 'oauth2_client' | 'system';
    email?: string;
    name?: string;
    on_behalf_of?: { id: string; email?: string };
  };
}

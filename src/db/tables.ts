import type { Generated } from 'kysely';
/** Table types shared by the query builder; each table is owned by one module's repo. */
export interface OrgsTable {
  id: string;
  slug: string;
  name: string;
  created_at: number;
}

export interface ApiKeysTable {
  id: string;
  org_id: string;
  name: string;
  key_hash: string;
  scopes: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface EventsTable {
  /** Time-ordered key: occurred_at in ms * 1024 + a slot; ORDER BY pk is newest-first order. */
  pk: number;
  org_id: string;
  id: string;
  seq: number;
  type: string;
  category: string;
  action: string | null;
  result: string;
  actor_id: string;
  actor_type: string;
  actor_email: string | null;
  actor_name: string | null;
  obo_id: string | null;
  obo_email: string | null;
  project_id: string | null;
  project_name: string | null;
  target_type: string | null;
  target_id: string | null;
  target_name: string | null;
  ip: string | null;
  user_agent: string | null;
  req_method: string | null;
  req_path: string | null;
  req_status: number | null;
  req_body: string | null;
  req_response: string | null;
  metadata: string | null;
  occurred_at: number;
  received_at: number;
  prev_hash: string;
  hash: string;
  /** 1, or 2: personal fields committed by salted hashes (0017). */
  hash_version: Generated<number>;
  /** Version 2: JSON of the entry's `personal` (each personal field's salt, or its commitment once erased). */
  personal: string | null;
}

export interface ChainHeadsTable {
  org_id: string;
  last_seq: number;
  last_hash: string;
  /** JSON array of the organization's own personal field paths (settings), which new entries commit to. */
  personal_fields: Generated<string>;
}

export type Role = 'owner' | 'admin' | 'member';

export interface UsersTable {
  id: string;
  email: string;
  name: string | null;
  password_hash: string;
  created_at: number;
}

export interface MembershipsTable {
  org_id: string;
  user_id: string;
  role: Role;
  status: 'active' | 'deactivated';
  created_at: number;
}

export interface SessionsTable {
  id: string;
  token_hash: string;
  user_id: string;
  org_id: string;
  ip: string | null;
  user_agent: string | null;
  created_at: number;
  last_seen_at: number;
  revoked_at: number | null;
}

export interface InvitesTable {
  id: string;
  org_id: string;
  email: string;
  role: Role;
  token_hash: string;
  invited_by: string;
  created_at: number;
  expires_at: number;
  accepted_at: number | null;
  revoked_at: number | null;
}

export interface OauthClientsTable {
  id: string;
  org_id: string;
  name: string;
  secret_hash: string;
  scopes: string;
  created_at: number;
  revoked_at: number | null;
}

export interface SetupTokensTable {
  token_hash: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface RetentionSettingsTable {
  org_id: string;
  retention_days: number | null;
  legal_hold: number;
  updated_at: number;
}

export interface RetentionAnchorsTable {
  org_id: string;
  seq: number;
  hash: string;
  /** JSON array of hex node hashes: the Merkle compact range of the purged prefix, largest first. */
  merkle_frontier: string;
  purged_at: number;
}

export interface CheckpointsTable {
  org_id: string;
  tree_size: number;
  root_hash: string;
  key_id: string;
  note: string;
  created_at: number;
  /** JSON array of hex node hashes: the tree's compact range at tree_size (NULL on checkpoints from before 0008). */
  frontier: string | null;
}

export interface Tables {
  orgs: OrgsTable;
  api_keys: ApiKeysTable;
  events: EventsTable;
  chain_heads: ChainHeadsTable;
  users: UsersTable;
  memberships: MembershipsTable;
  sessions: SessionsTable;
  invites: InvitesTable;
  oauth_clients: OauthClientsTable;
  setup_tokens: SetupTokensTable;
  retention_settings: RetentionSettingsTable;
  retention_anchors: RetentionAnchorsTable;
  checkpoints: CheckpointsTable;
}

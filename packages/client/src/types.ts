/**
 * The shapes of Auditum's public API as the SDK sends and receives them, written from the README
 * (the SDK imports nothing from the server).
 */

export type ActorType = 'user' | 'api_key' | 'oauth2_client' | 'system';
export type EventResult = 'success' | 'failed' | 'denied' | 'warning' | 'approved' | 'allowed';
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface Actor {
  id: string;
  /** Default `user`. */
  type?: ActorType;
  email?: string;
  name?: string;
  on_behalf_of?: { id: string; email?: string };
}

/** An event as an application records it (see the README's `POST /v1/events` table). */
export interface EventInput {
  /** Idempotency key, 1-128 printable ASCII characters; the SDK gives each event a UUIDv7 when it has none. */
  id?: string;
  /** `[a-z0-9_.-]` with at least one dot, e.g. `user.login`. */
  type: string;
  category?: string;
  action?: string;
  /** Default `success`. */
  result?: EventResult;
  actor: Actor;
  project?: { id: string; name?: string };
  target?: { type: string; id: string; name?: string };
  ip?: string;
  user_agent?: string;
  request?: { method: string; path: string; body?: JsonValue; status?: number; response?: JsonValue };
  metadata?: Record<string, JsonValue>;
  /** When it happened (default: when the server received it); a Date is sent as RFC 3339 in UTC. */
  occurred_at?: string | Date;
}

/** An event as the SDK sends it: with its id, and occurred_at as text. */
export type QueuedEvent = Omit<EventInput, 'id' | 'occurred_at'> & { id: string; occurred_at?: string };

/** The server's acknowledgement of one stored event. */
export interface Acknowledgement {
  id: string;
  seq: number;
  hash: string;
  /** True when the id was already stored (a retry): nothing new was written. */
  duplicate?: boolean;
}

/** A stored entry exactly as `GET /v1/events/{id}` returns it; its hash covers every member but `hash`. */
export interface Entry {
  id: string;
  org_id: string;
  seq: number;
  type: string;
  category: string;
  action: string | null;
  result: EventResult;
  actor: { id: string; type: ActorType; email?: string; name?: string; on_behalf_of?: { id: string; email?: string } };
  project: { id: string; name?: string } | null;
  target: { type: string; id: string; name?: string } | null;
  ip: string | null;
  user_agent: string | null;
  request: { method: string; path: string; body?: unknown; status?: number; response?: unknown } | null;
  metadata: Record<string, unknown> | null;
  occurred_at: string;
  received_at: string;
  prev_hash: string;
  /** Absent: hash version 1. 2: personal fields are committed to by salted hashes (see `personal`). */
  hash_version?: 2;
  /** Version 2: each personal field's path, with its salt while it holds its value, or its commitment once erased. */
  personal?: Record<string, { salt: string } | { commitment: string }>;
  hash: string;
}

/** The filters of `GET /v1/events`, also taken by the stream and exports; all combine with AND. */
export interface EventFilter {
  /** Exact types or prefixes such as `user.*`. */
  type?: string | string[];
  category?: string | string[];
  /** Actor id or email, exact. */
  actor?: string;
  actor_type?: ActorType;
  target_type?: string;
  target_id?: string;
  project?: string;
  result?: EventResult | EventResult[];
  ip?: string;
  /** Free text: every word must appear. */
  q?: string;
  /** Inclusive lower bound on occurred_at. */
  from?: string | Date;
  /** Exclusive upper bound on occurred_at. */
  to?: string | Date;
  range?: '24h' | '7d' | '30d' | 'this_month';
}

export type ExportFormat = 'csv' | 'xlsx' | 'jsonl';
export type ExportStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'expired';

/** An export as `GET /v1/exports/{id}` answers it. */
export interface ExportView {
  id: string;
  name: string;
  format: ExportFormat;
  order: 'time' | 'chain';
  status: ExportStatus;
  filter: Record<string, unknown>;
  through_seq: number;
  rows_written: number;
  /** 0..1 */
  progress: number;
  size_bytes: number | null;
  error: string | null;
  created_by: { id: string; type: string; email?: string };
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  expires_at: string | null;
  download_url: string | null;
}

/** `GET /v1/integrity/verify`: the server's own check of the chain. */
export interface ServerVerifyReport {
  ok: boolean;
  checked: number;
  first_bad_seq: number | null;
  reason: string | null;
}

export interface CheckpointView {
  tree_size: number;
  root_hash: string;
  key_id: string;
  created_at: string;
  /** The C2SP signed note: what verifyChain takes as `checkpoint`. */
  note: string;
}

export interface SigningKeyView {
  name: string;
  key_id: string;
  active: boolean;
  created_at: string;
  public_key_pem: string;
  verifier_key: string;
}

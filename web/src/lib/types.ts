export type Result = 'success' | 'failed' | 'denied' | 'warning' | 'approved' | 'allowed';

export interface Entry {
  id: string;
  org_id: string;
  seq: number;
  type: string;
  category: string;
  action: string | null;
  result: Result;
  actor: { id: string; type: 'user' | 'api_key' | 'oauth2_client' | 'system'; email?: string; name?: string; on_behalf_of?: { id: string; email?: string } };
  project: { id: string; name?: string } | null;
  target: { type: string; id: string; name?: string } | null;
  ip: string | null;
  user_agent: string | null;
  request: { method: string; path: string; body?: unknown; status?: number; response?: unknown } | null;
  metadata: Record<string, unknown> | null;
  occurred_at: string;
  received_at: string;
  prev_hash: string;
  hash: string;
}

export interface EventsPage {
  events: Entry[];
  next_cursor: string | null;
  count?: { value: number; capped: boolean };
}

export interface Me {
  user: { id: string; email: string; name: string | null };
  org: { id: string; slug: string; name: string };
  role: 'owner' | 'admin' | 'member';
  orgs: Array<{ id: string; slug: string; name: string; role: string }>;
  csrf_token: string;
}

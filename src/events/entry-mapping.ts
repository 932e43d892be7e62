import type { Insertable, Selectable } from 'kysely';
import type { EventsTable } from '../db/tables.ts';
import { categoryFor } from './catalogue.ts';
import type { Entry, EventInput } from './event.schemas.ts';
import { HASH_VERSION } from './hash-chain.ts';
import { FIXED_PERSONAL_PATHS, saltPersonal, type Personal } from './personal-fields.ts';

export type EventRow = Selectable<EventsTable>;
export type NewEventRow = Insertable<EventsTable>;
/** A row before its time-ordered key is allocated. */
export type UnkeyedEventRow = Omit<NewEventRow, 'pk'>;

export interface Placement {
  id: string;
  orgId: string;
  seq: number;
  prevHash: string;
  receivedAt: number;
  /** Every personal field path the entry commits to (default: the fixed ones; see personalPathsOf). */
  personalPaths?: readonly string[];
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Builds the stored entry (without hash) from validated input and its place in the chain, under the
 * current hash version: each personal field it holds gets a fresh salt.
 */
export function buildEntry(input: EventInput, at: Placement): Omit<Entry, 'hash'> {
  const entry = buildFields(input, at);
  return { ...entry, hash_version: HASH_VERSION, personal: saltPersonal(entry, at.personalPaths ?? FIXED_PERSONAL_PATHS) };
}

/** The paths an entry commits to: the fixed ones, then the organization's and any of the entry's own. */
export function personalPathsOf(...lists: ReadonlyArray<readonly string[] | undefined>): readonly string[] {
  return lists.some((list) => list?.length) ? [...FIXED_PERSONAL_PATHS, ...lists.flatMap((list) => list ?? [])] : FIXED_PERSONAL_PATHS;
}

function buildFields(input: EventInput, at: Placement): Omit<Entry, 'hash'> {
  const actor: Entry['actor'] = { id: input.actor.id, type: input.actor.type };
  if (input.actor.email !== undefined) actor.email = input.actor.email;
  if (input.actor.name !== undefined) actor.name = input.actor.name;
  if (input.actor.on_behalf_of !== undefined) {
    actor.on_behalf_of = { id: input.actor.on_behalf_of.id };
    if (input.actor.on_behalf_of.email !== undefined) actor.on_behalf_of.email = input.actor.on_behalf_of.email;
  }
  let request: Entry['request'] = null;
  if (input.request) {
    request = { method: input.request.method.toUpperCase(), path: input.request.path };
    if (input.request.body !== undefined) request.body = input.request.body;
    if (input.request.status !== undefined) request.status = input.request.status;
    if (input.request.response !== undefined) request.response = input.request.response;
  }
  return {
    id: at.id,
    org_id: at.orgId,
    seq: at.seq,
    type: input.type,
    category: input.category ?? categoryFor(input.type),
    action: input.action ?? null,
    result: input.result,
    actor,
    project: input.project ? { ...input.project } : null,
    target: input.target ? { ...input.target } : null,
    ip: input.ip ?? null,
    user_agent: input.user_agent ?? null,
    request,
    metadata: input.metadata ?? null,
    // Stored with millisecond precision; the hash covers this exact string.
    occurred_at: iso(input.occurred_at ? Date.parse(input.occurred_at) : at.receivedAt),
    received_at: iso(at.receivedAt),
    prev_hash: at.prevHash,
  };
}

const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));

/** The row stored for an entry: one column per filterable field, JSON text for payloads. */
export function entryToRow(entry: Entry): UnkeyedEventRow {
  return {
    org_id: entry.org_id,
    id: entry.id,
    seq: entry.seq,
    type: entry.type,
    category: entry.category,
    action: entry.action,
    result: entry.result,
    actor_id: entry.actor.id,
    actor_type: entry.actor.type,
    actor_email: entry.actor.email ?? null,
    actor_name: entry.actor.name ?? null,
    obo_id: entry.actor.on_behalf_of?.id ?? null,
    obo_email: entry.actor.on_behalf_of?.email ?? null,
    project_id: entry.project?.id ?? null,
    project_name: entry.project?.name ?? null,
    target_type: entry.target?.type ?? null,
    target_id: entry.target?.id ?? null,
    target_name: entry.target?.name ?? null,
    ip: entry.ip,
    user_agent: entry.user_agent,
    req_method: entry.request?.method ?? null,
    req_path: entry.request?.path ?? null,
    req_status: entry.request?.status ?? null,
    req_body: json(entry.request?.body),
    req_response: json(entry.request?.response),
    metadata: json(entry.metadata ?? undefined),
    occurred_at: Date.parse(entry.occurred_at),
    received_at: Date.parse(entry.received_at),
    prev_hash: entry.prev_hash,
    hash: entry.hash,
    hash_version: entry.hash_version ?? 1,
    personal: entry.personal ? JSON.stringify(entry.personal) : null,
  };
}

/** Rebuilds the entry exactly as it was hashed from its stored row. */
export function rowToEntry(row: EventRow): Entry {
  const actor: Entry['actor'] = { id: row.actor_id, type: row.actor_type as Entry['actor']['type'] };
  if (row.actor_email !== null) actor.email = row.actor_email;
  if (row.actor_name !== null) actor.name = row.actor_name;
  if (row.obo_id !== null) {
    actor.on_behalf_of = { id: row.obo_id };
    if (row.obo_email !== null) actor.on_behalf_of.email = row.obo_email;
  }
  let project: Entry['project'] = null;
  if (row.project_id !== null) {
    project = { id: row.project_id };
    if (row.project_name !== null) project.name = row.project_name;
  }
  let target: Entry['target'] = null;
  if (row.target_type !== null && row.target_id !== null) {
    target = { type: row.target_type, id: row.target_id };
    if (row.target_name !== null) target.name = row.target_name;
  }
  let request: Entry['request'] = null;
  if (row.req_method !== null && row.req_path !== null) {
    request = { method: row.req_method, path: row.req_path };
    if (row.req_body !== null) request.body = JSON.parse(row.req_body);
    if (row.req_status !== null) request.status = row.req_status;
    if (row.req_response !== null) request.response = JSON.parse(row.req_response);
  }
  return {
    id: row.id,
    org_id: row.org_id,
    seq: row.seq,
    type: row.type,
    category: row.category,
    action: row.action,
    result: row.result as Entry['result'],
    actor,
    project,
    target,
    ip: row.ip,
    user_agent: row.user_agent,
    request,
    metadata: row.metadata === null ? null : JSON.parse(row.metadata),
    occurred_at: iso(row.occurred_at),
    received_at: iso(row.received_at),
    prev_hash: row.prev_hash,
    ...(row.hash_version === HASH_VERSION ? { hash_version: HASH_VERSION, personal: JSON.parse(row.personal ?? '{}') as Personal } : {}),
    hash: row.hash,
  };
}

import type { Executor } from '../db/unit-of-work.ts';
import type { EventStore } from '../events/event-store.ts';
import type { EventInput } from '../events/event.schemas.ts';
import type { Principal } from './principal.ts';

/** The parts of a request an entry records: a Fastify request, or the same for work done after the request. */
export interface RequestContext {
  ip?: string;
  headers: { 'user-agent'?: string | string[] };
}

/** Who an administrative action is recorded as: a principal's actor, or a system actor (the server, the CLI). */
export type AdminActor = Principal['actor'] | { id: string; type: 'system' };

/** What an administrative action inside Auditum records about itself. */
export interface AdminEvent {
  /** Idempotency key: recording the same id again is a no-op (for follow-ups that may be retried after a crash). */
  id?: string;
  type: string;
  action: string;
  result?: EventInput['result'];
  target?: EventInput['target'];
  metadata?: Record<string, unknown>;
  /** Paths besides the fixed personal fields this entry commits to, so an erasure can remove them (hash version 2). */
  personal?: string[];
}

/**
 * Records Auditum's own administrative actions into the affected organization's audit log,
 * through the same append path (same chain, same rules) as any ingested event, with the
 * actor as it really was and the request's IP and user agent. Given the action's transaction
 * (`tx`), the entry commits with the action or not at all.
 */
export function createSelfAudit({ store }: { store: EventStore }) {
  type Actor = AdminActor;
  const toInput = (actor: Actor, event: AdminEvent, request?: RequestContext): EventInput => {
    const userAgent = request?.headers['user-agent'];
    return {
      ...(event.id ? { id: event.id } : {}),
      type: event.type,
      action: event.action,
      result: event.result ?? 'success',
      actor: { ...actor },
      ...(event.target ? { target: event.target } : {}),
      ...(event.metadata ? { metadata: event.metadata } : {}),
      ...(request?.ip ? { ip: request.ip } : {}),
      ...(typeof userAgent === 'string' && userAgent ? { user_agent: userAgent.slice(0, 1024) } : {}),
    };
  };
  const record = async (orgId: string, actor: Actor, event: AdminEvent, request?: RequestContext, tx?: Executor) => {
    await store.append(orgId, [toInput(actor, event, request)], { tx, personal: [event.personal] });
  };
  /** Several events of one organization by one actor in one append (one transaction), e.g. alerts fired together. */
  record.many = async (orgId: string, actor: Actor, events: AdminEvent[], tx?: Executor): Promise<void> => {
    if (events.length === 0) return;
    await store.append(orgId, events.map((event) => toInput(actor, event)), { tx, personal: events.map((event) => event.personal) });
  };
  return record;
}

export type SelfAudit = ReturnType<typeof createSelfAudit>;

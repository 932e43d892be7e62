import type { FastifyRequest } from 'fastify';
import type { EventStore } from '../events/event-store.ts';
import type { EventInput } from '../events/event.schemas.ts';
import type { Principal } from './principal.ts';

/** What an administrative action inside Auditum records about itself. */
export interface AdminEvent {
  /** Idempotency key: recording the same id again is a no-op (for follow-ups that may be retried after a crash). */
  id?: string;
  type: string;
  action: string;
  result?: EventInput['result'];
  target?: EventInput['target'];
  metadata?: Record<string, unknown>;
}

/**
 * Records Auditum's own administrative actions into the affected organization's audit log,
 * through the same append path (same chain, same rules) as any ingested event, with the
 * actor as it really was and the request's IP and user agent.
 */
export function createSelfAudit({ store }: { store: EventStore }) {
  return async function record(orgId: string, actor: Principal['actor'] | { id: string; type: 'system' }, event: AdminEvent, request?: FastifyRequest): Promise<void> {
    const userAgent = request?.headers['user-agent'];
    const input: EventInput = {
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
    await store.append(orgId, [input]);
  };
}

export type SelfAudit = ReturnType<typeof createSelfAudit>;

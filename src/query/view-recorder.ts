import type { FastifyRequest } from 'fastify';
import type { Principal } from '../access/principal.ts';
import type { createSelfAudit } from '../access/self-audit.ts';

/** How many sessions and viewer tokens are remembered as "already recorded" (short-lived, so a bound is enough). */
const REMEMBERED = 10_000;

/**
 * Records `audit_log.viewed` the first time a signed-in user or an embedded viewer reads the audit
 * log in a session (or with a viewer token), with that person as the actor. Once per session and
 * process rather than per request: live tail polls every few seconds. Machine credentials
 * reading through the API are not recorded here.
 */
export function createViewRecorder({ selfAudit }: { selfAudit: ReturnType<typeof createSelfAudit> }) {
  const seen = new Set<string>();

  return async function recordView(principal: Principal, request: FastifyRequest): Promise<void> {
    const key = principal.kind === 'viewer' ? principal.tokenId : principal.kind === 'session' ? principal.sessionId : undefined;
    if (!key || seen.has(key)) return;
    if (seen.size >= REMEMBERED) seen.delete(seen.values().next().value!);
    seen.add(key);
    await selfAudit(
      principal.orgId,
      principal.actor,
      { type: 'audit_log.viewed', action: principal.kind === 'viewer' ? 'Viewed the audit log (embedded)' : 'Viewed the audit log', metadata: { via: principal.kind === 'viewer' ? 'embed' : 'web' } },
      request,
    );
  };
}

export type ViewRecorder = ReturnType<typeof createViewRecorder>;

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
  const pending = new Map<string, Promise<void>>();

  return async function recordView(principal: Principal, request: FastifyRequest): Promise<void> {
    const key = principal.kind === 'viewer' ? principal.tokenId : principal.kind === 'session' ? principal.sessionId : undefined;
    if (!key || seen.has(key)) return;
    const embedded = principal.kind === 'viewer';
    const event = {
      type: 'audit_log.viewed',
      action: embedded ? 'Viewed the audit log (embedded)' : 'Viewed the audit log',
      metadata: { via: embedded ? 'embed' : 'web' },
    };
    // Remembered only once recorded: a read whose record failed fails too, and the next one tries again.
    // Reads arriving while the first is being recorded wait for that one instead of recording again.
    let recording = pending.get(key);
    if (!recording) {
      recording = selfAudit(principal.orgId, principal.actor, event, request)
        .then(() => {
          if (seen.size >= REMEMBERED) seen.delete(seen.values().next().value!);
          seen.add(key);
        })
        .finally(() => pending.delete(key));
      pending.set(key, recording);
    }
    await recording;
  };
}

export type ViewRecorder = ReturnType<typeof createViewRecorder>;

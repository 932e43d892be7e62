import { eventInputSchema, type EventInput } from '../src/events/event.schemas.ts';

const TYPES = ['user.login', 'user.login', 'user.login', 'login.failure', 'flow.created', 'flow.updated', 'flow.executed', 'api_key.used', 'user.role_changed', 'guardrail.created', 'agent.updated', 'settings.updated'];
const RESULTS = ['success', 'success', 'success', 'success', 'success', 'success', 'success', 'failed', 'denied', 'warning'];
const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima', 'mike', 'november', 'oscar', 'papa'];

/** The type of about one event in five thousand (the "rare type" query). */
export const RARE_TYPE = 'user.impersonated';
/** The term that appears in about one event in ten thousand (the "rare q" query). */
export const RARE_TERM = 'quasar';
/** The term that appears in about a third of events (the "common q" query). */
export const COMMON_TERM = 'checkout';

/** A deterministic, realistic event: number `i` of a run, spread over the last `spanMs`. */
export function benchEvent(i: number, now: number, spanMs: number, total: number): Record<string, unknown> {
  const user = i % 1000;
  const word = (k: number) => WORDS[(i * 7 + k * 13) % WORDS.length];
  const tag = i % 10_000 === 4242 ? RARE_TERM : i % 3 === 0 ? COMMON_TERM : word(3);
  return {
    type: i % 5000 === 1717 ? RARE_TYPE : TYPES[i % TYPES.length],
    result: RESULTS[(i * 31) % RESULTS.length],
    action: `${word(0)} ${word(1)} on ${tag} flow`,
    actor: { id: `user-${user}`, email: `user${user}@example.com`, name: `User ${user}` },
    project: { id: `proj-${i % 20}`, name: `Project ${i % 20}` },
    target: { type: 'flow', id: `flow-${i % 5000}`, name: `${word(2)} flow` },
    // Each user comes from one of three addresses: thousands of distinct IPs, in no order.
    ip: `10.${user % 256}.${(user >> 8) + 10 * (i % 3)}.${(user * 7 + (i % 3)) % 256}`,
    user_agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36',
    request: { method: 'POST', path: `/api/flows/flow-${i % 5000}`, status: 200 },
    metadata: { region: word(4), attempt: i % 5, tags: [word(5), tag] },
    occurred_at: new Date(now - spanMs + Math.floor((i / total) * spanMs)).toISOString(),
  };
}

export function benchInputs(from: number, count: number, now: number, spanMs: number, total: number): EventInput[] {
  return Array.from({ length: count }, (_, k) => eventInputSchema.parse(benchEvent(from + k, now, spanMs, total)));
}

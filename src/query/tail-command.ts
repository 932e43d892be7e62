import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import type { EventStore } from '../events/event-store.ts';
import { followEntries } from './entry-follower.ts';
import { eventFilterQuerySchema, toEventFilter } from './event-filter.schemas.ts';

/** The filters `auditum tail` takes, by flag; the same meaning as GET /v1/events (and its stream). */
export interface TailFlags {
  type?: string[];
  result?: string[];
  actor?: string;
  project?: string;
  ip?: string;
  q?: string;
  'after-seq'?: string;
}

/**
 * `auditum tail --org SLUG [filters]`: prints each new matching entry as one JSON line, as
 * GET /v1/events/stream sends it, until the signal aborts (Ctrl-C, SIGTERM). `--after-seq N`
 * starts after seq N (what a previous run printed last) instead of at the head.
 */
export async function runTail(store: EventStore, orgId: string, flags: TailFlags, out: (line: string) => void, signal: AbortSignal) {
  const parsed = eventFilterQuerySchema.safeParse({
    type: flags.type, result: flags.result, actor: flags.actor, project: flags.project, ip: flags.ip, q: flags.q,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ValidationError(`--${String(issue.path[0] ?? 'filter')}: ${issue.message}`);
  }
  const after = flags['after-seq'];
  const afterSeq = after === undefined ? (await store.head(orgId)).lastSeq : z.coerce.number().int().min(0).safeParse(after).data;
  if (afterSeq === undefined) throw new ValidationError('--after-seq must be a seq (a whole number, 0 or more)');
  for await (const entry of followEntries(store, orgId, toEventFilter(parsed.data), { afterSeq, signal, pollMs: 500 })) {
    out(JSON.stringify(entry));
  }
}

import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import type { EventStore } from '../events/event-store.ts';
import { followEntries } from './entry-follower.ts';
import { eventFilterQuerySchema, toEventFilter } from './event-filter.schemas.ts';

/** The filters the event commands (`tail`, `events list`, `export`) take, by flag; GET /v1/events' meaning. */
export interface FilterFlags {
  type?: string[];
  result?: string[];
  actor?: string;
  project?: string;
  ip?: string;
  q?: string;
  range?: string;
}

export interface TailFlags extends FilterFlags {
  'after-seq'?: string;
}

/** The flags as GET /v1/events' query, validated by its schema; a bad one is named by its flag. */
export function filterQueryOf(flags: FilterFlags): z.infer<typeof eventFilterQuerySchema> {
  const { type, result, actor, project, ip, q, range } = flags;
  const parsed = eventFilterQuerySchema.safeParse({ type, result, actor, project, ip, q, range });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new ValidationError(`--${String(issue.path[0] ?? 'filter')}: ${issue.message}`);
}

/**
 * `auditum tail --org SLUG [filters]`: prints each new matching entry as one JSON line, as
 * GET /v1/events/stream sends it, until the signal aborts (Ctrl-C, SIGTERM). `--after-seq N`
 * starts after seq N (what a previous run printed last) instead of at the head.
 */
export async function runTail(store: EventStore, orgId: string, flags: TailFlags, out: (line: string) => void, signal: AbortSignal) {
  if (flags.range !== undefined) throw new ValidationError('--range: tail follows new entries; it takes no range');
  const query = filterQueryOf(flags);
  const after = flags['after-seq'];
  const afterSeq = after === undefined ? (await store.head(orgId)).lastSeq : z.coerce.number().int().min(0).safeParse(after).data;
  if (afterSeq === undefined) throw new ValidationError('--after-seq must be a seq (a whole number, 0 or more)');
  for await (const entry of followEntries(store, orgId, toEventFilter(query), { afterSeq, signal, pollMs: 500 })) {
    out(JSON.stringify(entry));
  }
}

import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import type { Entry } from '../events/event.schemas.ts';
import type { EventQuery } from '../events/event-query.ts';
import { toEventFilter } from './event-filter.schemas.ts';
import { filterQueryOf, type FilterFlags } from './tail-command.ts';

export interface ListFlags extends FilterFlags {
  limit?: string;
  json?: boolean;
}

/** Column widths of the readable table; the action takes what is left of a line. */
const COLUMNS = [['TIME (UTC)', 24], ['TYPE', 26], ['RESULT', 8], ['ACTOR', 28]] as const;

/** One cell: cut to its width with an ellipsis, padded to it. */
const cell = (text: string, width: number) => (text.length > width - 1 ? `${text.slice(0, width - 2)}…` : text).padEnd(width);

const actorOf = (entry: Entry) => entry.actor.email ?? entry.actor.id;

/**
 * `auditum events list --org SLUG [filters] [--limit N] [--json]`: the newest matching entries,
 * as a readable table (newest first), or with --json as JSON lines, the entries as GET /v1/events returns them.
 */
export async function runEventsList(query: EventQuery, orgId: string, flags: ListFlags, out: (line: string) => void) {
  const limit = flags.limit === undefined ? 50 : z.coerce.number().int().min(1).max(10_000).safeParse(flags.limit).data;
  if (limit === undefined) throw new ValidationError('--limit must be a whole number from 1 to 10000');
  const filter = toEventFilter(filterQueryOf(flags));
  const entries: Entry[] = [];
  for (let after: number | undefined; entries.length < limit; ) {
    const page = await query.list(orgId, filter, Math.min(500, limit - entries.length), after);
    entries.push(...page.entries);
    if (page.next === null) break;
    after = page.next;
  }
  if (flags.json) {
    for (const entry of entries) out(JSON.stringify(entry));
    return;
  }
  out(`${COLUMNS.map(([title, width]) => title.padEnd(width)).join('')}ACTION`);
  for (const e of entries) {
    const cells = [e.occurred_at, e.type, e.result, actorOf(e)];
    out(`${cells.map((text, i) => cell(text, COLUMNS[i]![1])).join('')}${(e.action ?? '').replace(/\s+/g, ' ')}`);
  }
  out(entries.length === 0 ? 'no entries match' : `${entries.length} entries, newest first`);
}

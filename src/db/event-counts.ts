import { sql, type Kysely } from 'kysely';
import { applyFilter, hasFieldConditions, type EventFilter } from '../query/event-filter.ts';

/**
 * Counts of entries per organization, time unit, type, category and result, kept by the search
 * indexer beside its index (off the write path, up to the same indexedSeq): the activity chart
 * reads them instead of the entries. Two units: minutes for short ranges, hours for long ones.
 */
export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const COUNT_UNITS = [MINUTE, HOUR] as const;

/** What one entry contributes to the counts. */
export interface CountedEntry {
  type: string;
  category: string;
  result: string;
  /** occurred_at, epoch ms. */
  occurred_at: number;
}

export interface CountRow {
  unit: number;
  start: number;
  type: string;
  category: string;
  result: string;
  n: number;
}

/** Entries summed into count rows for every unit; `sign` -1 for entries leaving the index. */
export function countRows(entries: CountedEntry[], sign = 1): CountRow[] {
  const rows = new Map<string, CountRow>();
  for (const e of entries) {
    for (const unit of COUNT_UNITS) {
      const start = Math.floor(Number(e.occurred_at) / unit) * unit;
      const key = `${unit}\u0000${start}\u0000${e.type}\u0000${e.category}\u0000${e.result}`;
      const row = rows.get(key);
      if (row) row.n += sign;
      else rows.set(key, { unit, start, type: e.type, category: e.category, result: e.result, n: sign });
    }
  }
  return [...rows.values()];
}

/** A request for counts: per `unit`, starts in [from, to), for a filter countsAnswer accepts. */
export interface CountQuery {
  unit: number;
  from: number;
  to: number;
  filter: EventFilter;
}

/** One unit's entries of one result. */
export interface CountCell {
  start: number;
  result: string;
  n: number;
}

/**
 * Whether stored counts can answer the filter: only type (exact or prefix), category and result
 * conditions besides the time range (an actor, target, IP or text needs the entries themselves).
 */
export function countable(filter: EventFilter): boolean {
  const { types: _t, typePrefixes: _p, categories: _c, results: _r, ...rest } = filter;
  return !hasFieldConditions(rest) && !filter.q?.trim();
}

/** The table's rows: a count row of one organization. */
export type EventCountsTable = CountRow & { org_id: string };

/**
 * The sums of count rows per unit start and result, with the filter's one meaning (applyFilter
 * over the table's type, category and result columns, which have the events table's names).
 */
export async function readCounts(db: Kysely<any>, orgKey: string, query: CountQuery): Promise<CountCell[]> {
  const { from: _f, to: _t, ...conditions } = query.filter;
  const table = db.selectFrom('event_counts as events') as unknown as Parameters<typeof applyFilter>[0];
  const rows = await applyFilter(table, orgKey, conditions)
    .where(sql<boolean>`events.unit = ${query.unit} and events.start >= ${query.from} and events.start < ${query.to}`)
    .select([sql<number>`events.start`.as('start'), 'events.result', sql<number>`sum(events.n)`.as('n')])
    .groupBy([sql`events.start`, 'events.result'])
    .execute();
  return rows.map((row) => ({ start: Number(row.start), result: row.result, n: Number(row.n) })).filter((c) => c.n > 0);
}

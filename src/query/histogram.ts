import type { Database } from '../db/database.ts';
import { countable, HOUR, MINUTE, type CountCell } from '../db/event-counts.ts';
import type { EventQuery } from '../events/event-query.ts';
import type { EventStore } from '../events/event-store.ts';
import { matchesFilter, type EventFilter } from './event-filter.ts';
import type { Histogram } from './histogram.schema.ts';

const DAY = 24 * HOUR;
/** Bucket widths a person reads easily; the smallest one giving at most the buckets asked for is used. */
const WIDTHS = [MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY];
/** Entries counted one by one (filters the stored counts cannot answer) before the answer says capped. */
export const HISTOGRAM_CAP = 100_000;
/** Reads of the counts while the indexer moves, before the entries are counted one by one instead. */
const STABLE_ATTEMPTS = 5;
/** Entries past the index's high-water seq read per step (that tail is the indexer's lag: short). */
const TAIL_STEP = 1000;

/** The bucket width for a span: the smallest readable width that needs at most `buckets` of them. */
export function bucketWidth(spanMs: number, buckets: number): number {
  return WIDTHS.find((w) => spanMs / w <= buckets) ?? WIDTHS[WIDTHS.length - 1]!;
}

/**
 * Entries matching a filter over its time range, per bucket and result. The buckets are aligned
 * to multiples of their width (UTC) and cover [from, to); each counts every matching entry of
 * its own span. Filters on type, category and result are answered from the counts the indexer
 * keeps (plus the unindexed tail, checked here); others count the matching entries themselves, up
 * to HISTOGRAM_CAP.
 */
export function createHistogram(deps: { database: Database; query: EventQuery; store: EventStore }) {
  const { database, query, store } = deps;

  async function fromCounts(orgId: string, filter: EventFilter, width: number, from: number, to: number): Promise<CountCell[] | undefined> {
    const unit = width >= HOUR ? HOUR : MINUTE;
    // The counts and the index's high-water seq must belong together: an indexer batch committed
    // between the two reads would be in neither. Each batch moves the seq, so an unchanged seq
    // around the counts means they hold exactly the entries through it.
    let indexed = await database.search.indexedSeq(orgId);
    let cells: CountCell[] = [];
    for (let attempt = 0; ; attempt++) {
      cells = await database.search.counts(orgId, { unit, from, to, filter });
      const now = await database.search.indexedSeq(orgId);
      if (now === indexed) break;
      if (attempt === STABLE_ATTEMPTS) return undefined;
      indexed = now;
    }
    // The entries the indexer has not reached yet.
    const matches = matchesFilter({ ...filter, from, to });
    for (let after = indexed; ;) {
      const tail = await store.bySeq(orgId, after, TAIL_STEP);
      for (const entry of tail) {
        if (matches(entry)) cells.push({ start: Date.parse(entry.occurred_at), result: entry.result, n: 1 });
      }
      if (tail.length < TAIL_STEP) return cells;
      after = tail[tail.length - 1]!.seq;
    }
  }

  async function histogram(orgId: string, filter: EventFilter, buckets: number, now = Date.now()): Promise<Histogram> {
    const to = filter.to ?? now;
    const requestedFrom = filter.from ?? to - DAY;
    const width = bucketWidth(Math.max(1, to - requestedFrom), buckets);
    const from = Math.floor(requestedFrom / width) * width;
    const end = Math.ceil(to / width) * width;
    const spans = Array.from({ length: Math.max(1, (end - from) / width) }, (_, i) => ({ start: from + i * width, counts: {} as Record<string, number> }));
    let capped = false;
    // Counted one by one where the kept counts cannot answer, or the indexer kept moving under them.
    let cells = countable(filter) ? await fromCounts(orgId, filter, width, from, end) : undefined;
    if (!cells) {
      const found = await query.matching(orgId, { ...filter, from, to: end }, HISTOGRAM_CAP);
      capped = found.capped;
      cells = found.rows.map((row) => ({ start: row.at, result: row.result, n: 1 }));
    }
    for (const cell of cells) {
      const span = spans[Math.floor((cell.start - from) / width)];
      if (span) span.counts[cell.result] = (span.counts[cell.result] ?? 0) + cell.n;
    }
    return {
      buckets: spans.map((s) => ({ start: new Date(s.start).toISOString(), end: new Date(s.start + width).toISOString(), counts: s.counts })),
      interval_ms: width,
      ...(capped ? { capped: true as const } : {}),
    };
  }

  return { histogram };
}

export type HistogramService = ReturnType<typeof createHistogram>;

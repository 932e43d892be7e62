import { setTimeout as sleep, setImmediate as yieldToLoop } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import type { SelfAudit } from '../access/self-audit.ts';
import type { AlertRepo } from '../alerts/alert.repo.ts';
import type { Database } from '../db/database.ts';
import type { SearchDoc } from '../db/search-index.ts';
import { inTransaction, type Executor } from '../db/unit-of-work.ts';
import { entryToRow, rowToEntry, type EventRow } from '../events/entry-mapping.ts';
import type { Entry } from '../events/event.schemas.ts';
import type { EventStore } from '../events/event-store.ts';
import { ERASED, eraseFields, saltedPaths } from '../events/personal-fields.ts';
import { filterFields } from '../events/search-indexer.ts';
import type { ExportService } from '../exports/export.service.ts';
import { PermanentJobError, type JobHandler } from '../jobs/job-runner.ts';
import { searchText } from '../query/event-filter.ts';
import type { RetentionService } from '../retention/retention.service.ts';
import { fieldsToErase, legacyPaths, type Subject } from './erasure-plan.ts';
import type { ErasureRepo, ErasureResult, ErasureRow } from './erasure.repo.ts';
import { emptyResult, erasureMetadata, legalHoldError } from './erasure.service.ts';

/** Entries read (and, erasing, rewritten) per transaction. */
const PAGE = 500;
/** How long the job waits for the indexer to pass the last rewritten entry before it replaces those documents again. */
const INDEX_WAIT_MS = 60_000;

export interface ErasureJobDeps {
  database: Database;
  repo: ErasureRepo;
  store: EventStore;
  exports: ExportService;
  alerts: AlertRepo;
  retention: RetentionService;
  selfAudit: SelfAudit;
  logger: FastifyBaseLogger;
}

/** An entry matched by the erasure: which of its fields go, or that it is a version 1 entry that cannot be erased. */
type Match = { entry: Entry; row: EventRow; paths: string[]; legacy: boolean };

/**
 * The background handler of one erasure, in two passes over the organization's chain up to the
 * seq recorded when it was asked: the first counts (all a dry run does, and what refuses an
 * erasure that would have to skip version 1 entries), the second rewrites, a page per
 * transaction that also records how far it got, so a retry goes on where the last attempt stopped.
 * `scanned_seq` runs over both passes: 0..last_seq counting, last_seq..2*last_seq erasing.
 */
export function createErasureJobHandler(deps: ErasureJobDeps): JobHandler {
  const { database, repo, store } = deps;
  const { db, adapter, search } = database;

  /** The organization's entries after `afterSeq` up to `lastSeq` that the erasure touches, read in `tx`. */
  async function page(tx: Executor, row: ErasureRow, subject: Subject, listed: string[], afterSeq: number) {
    const query = tx.selectFrom('events').selectAll().where('org_id', '=', row.org_id).where('seq', '>', afterSeq)
      .where('seq', '<=', row.last_seq).orderBy('seq').limit(PAGE);
    // Rewriting, the rows stay locked until the transaction ends: another erasure cannot write over them meanwhile.
    const rows = await (tx.isTransaction ? adapter.forUpdate(query) : query).execute();
    const matches: Match[] = [];
    for (const stored of rows) {
      if (row.from_ms !== null && stored.occurred_at < row.from_ms) continue;
      if (row.to_ms !== null && stored.occurred_at >= row.to_ms) continue;
      const entry = rowToEntry(stored);
      const salted = entry.personal && saltedPaths(entry.personal);
      const paths = fieldsToErase(entry, subject, salted ?? legacyPaths(entry, listed));
      if (paths.length > 0) matches.push({ entry, row: stored, paths, legacy: !salted });
    }
    return { matches, next: rows.length < PAGE ? row.last_seq : rows.at(-1)!.seq };
  }

  const tally = (result: ErasureResult, matches: Match[]) => {
    for (const match of matches) {
      if (match.legacy) {
        result.legacy_entries += 1;
        continue;
      }
      result.entries += 1;
      for (const path of match.paths) result.fields[path] = (result.fields[path] ?? 0) + 1;
      result.first_seq = Math.min(result.first_seq ?? match.entry.seq, match.entry.seq);
      result.last_seq = Math.max(result.last_seq ?? match.entry.seq, match.entry.seq);
    }
  };

  return async (job, context) => {
    const { erasureId } = job.payload as { erasureId: string };
    const row = await repo.byId(erasureId);
    if (!row || row.status === 'completed' || row.status === 'failed' || row.subject_value === null) return;
    // Every row this job writes (entries, its own progress beside the subject) is zeroed where it was.
    await adapter.eraseOverwritten(db, true);
    try {
      await run(row, context.signal);
    } finally {
      await adapter.eraseOverwritten(db, false);
    }
    // Earlier versions of the rewritten rows go from the engine's log files too.
    await adapter.truncateLog(db);
    await search.scrub();
  };

  async function run(first: ErasureRow, signal: AbortSignal) {
    let row = first;
    const subject = { kind: row.subject_kind, value: row.subject_value } as Subject;
    const listed = await store.personalFields(row.org_id);
    const last = row.last_seq;
    await repo.update(row.id, { status: 'running' });

    // Pass 1: count, from the start each attempt (it writes nothing but progress).
    if (row.scanned_seq < last) {
      const preview = emptyResult();
      for (let seq = 0; seq < last;) {
        if (signal.aborted) throw signal.reason ?? new Error('aborted');
        const found = await page(db, row, subject, listed, seq);
        tally(preview, found.matches);
        seq = found.next;
        await repo.update(row.id, { scanned_seq: seq, result: JSON.stringify(preview) });
        await yieldToLoop();
      }
      if (row.dry_run === 1) return finish(row, preview);
      if (preview.legacy_entries > 0 && row.skip_legacy === 0) {
        const message = `${preview.legacy_entries} entries written under hash version 1 hold the subject; their fields `
          + 'cannot be erased without breaking the chain. Ask again with skip_legacy: true to erase the rest '
          + '(those entries stay until retention removes them)';
        await finish(row, preview, message);
        throw new PermanentJobError(message);
      }
      if ((await deps.retention.status(row.org_id)).legal_hold) {
        const { message } = legalHoldError();
        await finish(row, preview, message);
        throw new PermanentJobError(message);
      }
      const start = { ...emptyResult(), legacy_entries: preview.legacy_entries };
      await repo.update(row.id, { scanned_seq: last, result: JSON.stringify(start) });
      row = (await repo.byId(row.id))!;
    }

    // Pass 2: rewrite, each page in one transaction with its progress; overwritten content is zeroed.
    const notIndexed: SearchDoc[] = [];
    let firstReceivedAt = Number.POSITIVE_INFINITY;
    for (let seq = row.scanned_seq - last; seq < last;) {
      if (signal.aborted) throw signal.reason ?? new Error('aborted');
      const { docs, next, received } = await inTransaction(db, async (tx) => {
        const found = await page(tx, row, subject, listed, seq);
        const erasable = found.matches.filter((m) => !m.legacy);
        const erased = erasable.map((m) => ({ pk: m.row.pk, entry: eraseFields(m.entry, m.paths) }));
        await store.storeErased(row.org_id, erased, tx);
        const result = JSON.parse((await repo.byId(row.id, tx))!.result) as ErasureResult;
        tally(result, erasable);
        await repo.update(row.id, { scanned_seq: last + found.next, result: JSON.stringify(result) }, tx);
        const pageDocs = erased.map(({ pk, entry }) => {
          const stored = { ...entryToRow(entry), pk } as EventRow;
          return { pk, seq: entry.seq, doc: searchText(entry), fields: filterFields(stored) };
        });
        const received = Math.min(Number.POSITIVE_INFINITY, ...erasable.map((m) => m.row.received_at));
        return { docs: pageDocs, next: found.next, received };
      });
      firstReceivedAt = Math.min(firstReceivedAt, received);
      await search.replace(row.org_id, docs);
      const indexed = await search.indexedSeq(row.org_id);
      notIndexed.push(...docs.filter((d) => d.seq > indexed));
      seq = next;
      await yieldToLoop();
    }
    // Documents the indexer read before their rewrite committed are replaced once it has passed them.
    if (notIndexed.length > 0) {
      const until = Date.now() + INDEX_WAIT_MS;
      const lastSeq = notIndexed.at(-1)!.seq;
      while ((await search.indexedSeq(row.org_id)) < lastSeq && Date.now() < until && !signal.aborted) await sleep(200);
      await search.replace(row.org_id, notIndexed);
    }
    const result = JSON.parse((await repo.byId(row.id))!.result) as ErasureResult;
    if (result.entries > 0) {
      // A retry that rewrote nothing new cannot tell when the first rewritten entry arrived: every export since goes.
      const since = Number.isFinite(firstReceivedAt) ? firstReceivedAt : 0;
      result.exports_expired = await deps.exports.expireSince(row.org_id, since);
      await deps.alerts.eraseGroupValue(row.org_id, subject.value, ERASED);
    }
    await finish(row, result);
  }

  /** Ends the erasure: its result, the subject dropped from the row, and for an erasure done, its data.erased entry. */
  async function finish(row: ErasureRow, result: ErasureResult, error?: string) {
    await inTransaction(db, async (tx) => {
      const status = error ? 'failed' : 'completed';
      await repo.update(row.id, { status, result: JSON.stringify(result), error: error ?? null, subject_value: null }, tx);
      if (error || row.dry_run === 1) return;
      const event = {
        id: `erasure-${row.id}`,
        type: 'data.erased',
        action: `Erased personal data in ${result.entries} entries`,
        target: { type: 'erasure', id: row.id },
        metadata: erasureMetadata(row, result),
      };
      await deps.selfAudit(row.org_id, JSON.parse(row.requested_by), event, undefined, tx);
    });
    deps.logger.info({ erasureId: row.id, orgId: row.org_id, entries: result.entries, error }, 'erasure finished');
  }
}

/** Once the job has failed for good, whatever stopped it: the erasure says so and forgets the subject. */
export function erasureFailedHook(repo: ErasureRepo) {
  return async (job: { payload: unknown }, reason: string) => {
    const { erasureId } = job.payload as { erasureId: string };
    const row = await repo.byId(erasureId);
    if (row && row.status !== 'completed') await repo.update(erasureId, { status: 'failed', error: reason, subject_value: null });
  };
}

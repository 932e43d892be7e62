import { createHmac } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import type { Principal } from '../access/principal.ts';
import type { RequestContext, SelfAudit } from '../access/self-audit.ts';
import type { Database } from '../db/database.ts';
import { inTransaction } from '../db/unit-of-work.ts';
import { AppError, NotFoundError } from '../errors.ts';
import type { EventStore } from '../events/event-store.ts';
import type { JobQueue } from '../jobs/job-queue.ts';
import type { RetentionService } from '../retention/retention.service.ts';
import { normalizeSubject, type Subject } from './erasure-plan.ts';
import type { ErasureRepo, ErasureResult, ErasureRow } from './erasure.repo.ts';
import type { ErasureRequest, ErasureView } from './erasure.schemas.ts';

export const ERASURE_JOB_KIND = 'erasure';
const LIST_LIMIT = 100;

export const emptyResult = (): ErasureResult => ({
  entries: 0, fields: {}, legacy_entries: 0, first_seq: null, last_seq: null, exports_expired: 0,
});

/** An erasure refused while the organization's entries are under legal hold. */
export const legalHoldError = () =>
  new AppError(409, 'legal_hold', 'the organization is under legal hold: nothing may be erased until it is lifted '
    + '(PUT /v1/settings/retention with legal_hold false, which is recorded)');

export interface ErasureServiceDeps {
  database: Database;
  repo: ErasureRepo;
  store: EventStore;
  jobs: JobQueue;
  retention: RetentionService;
  selfAudit: SelfAudit;
  /** The key of the subjects' keyed hashes (derived from a server key). */
  subjectKey: Buffer;
}

/** The key of the subjects' keyed hashes, derived from the server's token-signing key. */
export const subjectKeyFrom = (serverKey: Buffer) => createHmac('sha256', serverKey).update('auditum erasure subject').digest();

/** Erasure requests: validated, recorded and queued here; erasure-job.ts does the work. */
export function createErasureService(deps: ErasureServiceDeps) {
  const { repo } = deps;

  /** hex HMAC-SHA256(key, org id, kind, value): the same subject gives the same hash within an organization. */
  const subjectHash = (orgId: string, subject: Subject) =>
    createHmac('sha256', deps.subjectKey).update(`${orgId}\n${subject.kind}\n${subject.value}`, 'utf8').digest('hex');

  async function create(orgId: string, actor: Principal['actor'], body: ErasureRequest, request?: RequestContext) {
    const [kind, value] = Object.entries(body.subject)[0] as [Subject['kind'], string];
    const subject = normalizeSubject({ kind, value });
    // Asked again by the job before it writes anything: a hold placed meanwhile still stops it.
    if ((await deps.retention.status(orgId)).legal_hold) throw legalHoldError();
    const now = Date.now();
    return inTransaction(deps.database.db, async (tx) => {
      const row: ErasureRow = {
        id: uuidv7(),
        org_id: orgId,
        status: 'queued',
        dry_run: body.dry_run ? 1 : 0,
        subject_kind: subject.kind,
        subject_value: subject.value,
        subject_hash: subjectHash(orgId, subject),
        from_ms: body.from ? Date.parse(body.from) : null,
        to_ms: body.to ? Date.parse(body.to) : null,
        reason: body.reason,
        skip_legacy: body.skip_legacy ? 1 : 0,
        requested_by: JSON.stringify({ id: actor.id, type: actor.type }),
        scanned_seq: 0,
        last_seq: (await deps.store.head(orgId, tx)).lastSeq,
        result: JSON.stringify(emptyResult()),
        error: null,
        created_at: now,
        updated_at: now,
      };
      await repo.insert(row, tx);
      await deps.jobs.enqueue({ id: row.id, kind: ERASURE_JOB_KIND, orgId, payload: { erasureId: row.id }, maxAttempts: 5 }, tx);
      const event = {
        type: 'data.erasure_requested',
        action: body.dry_run ? 'Asked what an erasure would remove' : 'Asked to erase personal data',
        target: { type: 'erasure', id: row.id },
        metadata: erasureMetadata(row),
      };
      await deps.selfAudit(orgId, actor, event, request, tx);
      return view(row);
    });
  }

  async function get(orgId: string, id: string): Promise<ErasureView> {
    const row = await repo.get(orgId, id);
    if (!row) throw new NotFoundError('erasure');
    return view(row);
  }

  async function list(orgId: string): Promise<ErasureView[]> {
    return (await repo.list(orgId, LIST_LIMIT)).map(view);
  }

  return { create, get, list };
}

/** What the log records of an erasure: never the subject in clear. */
export function erasureMetadata(row: ErasureRow, result?: ErasureResult): Record<string, unknown> {
  return {
    erasure_id: row.id,
    dry_run: row.dry_run === 1,
    subject: { kind: row.subject_kind, hash: row.subject_hash },
    ...(row.from_ms !== null ? { from: new Date(row.from_ms).toISOString() } : {}),
    ...(row.to_ms !== null ? { to: new Date(row.to_ms).toISOString() } : {}),
    through_seq: row.last_seq,
    reason: row.reason,
    ...(result ?? {}),
  };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Counting, then (unless a dry run) erasing: scanned_seq runs over both passes. */
function progressOf(row: ErasureRow): number {
  if (row.status === 'completed') return 1;
  const total = row.last_seq * (row.dry_run ? 1 : 2);
  return total === 0 ? 0 : Math.min(1, row.scanned_seq / total);
}

export function view(row: ErasureRow): ErasureView {
  return {
    id: row.id,
    status: row.status,
    dry_run: row.dry_run === 1,
    subject: { kind: row.subject_kind as Subject['kind'], hash: row.subject_hash },
    from: iso(row.from_ms),
    to: iso(row.to_ms),
    reason: row.reason,
    skip_legacy: row.skip_legacy === 1,
    requested_by: JSON.parse(row.requested_by),
    progress: progressOf(row),
    result: JSON.parse(row.result),
    error: row.error,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}

export type ErasureService = ReturnType<typeof createErasureService>;

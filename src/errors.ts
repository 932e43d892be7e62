/** Error details as returned to clients: one entry per problem, naming where it is. */
export interface ErrorDetail {
  path?: string;
  index?: number;
  field?: string;
  message: string;
}

/** The one error type the application throws; the HTTP layer maps it to `{"error":{code,message,details}}`. */
export class AppError extends Error {
  readonly status: number;
  /** The same as `status`; Fastify reads this name when an error escapes a hook or validator. */
  readonly statusCode: number;
  readonly code: string;
  readonly details?: ErrorDetail[];

  constructor(status: number, code: string, message: string, details?: ErrorDetail[]) {
    super(message);
    this.name = 'AppError';
    this.status = status;
    this.statusCode = status;
    this.code = code;
    this.details = details;
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details?: ErrorDetail[]) {
    super(400, 'invalid_request', message, details);
  }
}

export class NotFoundError extends AppError {
  constructor(what: string) {
    super(404, 'not_found', `${what} not found`);
  }
}

export class AuthError extends AppError {
  constructor(message = 'missing or invalid credentials') {
    super(401, 'unauthorized', message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'not allowed') {
    super(403, 'forbidden', message);
  }
}

export class ConflictError extends AppError {
  constructor(message: string) {
    super(409, 'conflict', message);
  }
}

/** A connection the outbound policy (AUDITUM_OUTBOUND_ALLOW/DENY) refuses; raised before connecting. */
export class OutboundRefusedError extends AppError {
  constructor(message: string) {
    super(400, 'outbound_not_allowed', message);
  }
}

/** A client holds as many of a bounded resource (open streams) as it may: 429 with Retry-After. */
export class TooManyError extends AppError {
  readonly retryAfterSeconds: number;

  constructor(code: string, message: string, retryAfterSeconds = 5) {
    super(429, code, message);
    this.name = 'TooManyError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The server has more work waiting than it takes on: 503 with Retry-After, nothing written. */
export class OverloadedError extends AppError {
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds = 1) {
    super(503, 'overloaded', message);
    this.name = 'OverloadedError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export type StorageCondition = 'storage_full' | 'storage_read_only' | 'database_unavailable';

const STORAGE_MESSAGES: Record<StorageCondition, string> = {
  storage_full: 'storage is full: the server\'s data directory has no space left, so nothing was written; retry once space is freed',
  storage_read_only: 'storage is read-only: the server cannot write to its data directory (read-only file system or no permission); retry once it is writable',
  database_unavailable: 'the database is unavailable (not reachable, restarting or refusing connections), so nothing was written; retry shortly',
};

/** How long clients are told to wait (Retry-After) before trying again, seconds. */
const STORAGE_RETRY_AFTER_S: Record<StorageCondition, number> = { storage_full: 30, storage_read_only: 60, database_unavailable: 5 };

/**
 * The data directory cannot take a write: it is full, or read-only. A condition of the
 * installation, not of the request: 503 with Retry-After, and `cause` (the driver's own
 * error, e.g. SQLITE_FULL) is what the server logs.
 */
export class StorageError extends AppError {
  readonly condition: StorageCondition;
  readonly retryAfterSeconds: number;

  constructor(condition: StorageCondition, options: { cause?: unknown } = {}) {
    super(503, condition, STORAGE_MESSAGES[condition]);
    this.name = 'StorageError';
    this.condition = condition;
    this.retryAfterSeconds = STORAGE_RETRY_AFTER_S[condition];
    if (options.cause !== undefined) this.cause = options.cause;
  }
}

/** Driver and system error codes (better-sqlite3 reports SQLite's extended names) by the condition they mean. */
// PostgreSQL's SQLSTATEs: 53100 disk_full, 25006 read_only_sql_transaction (a standby), class 08
// connection exceptions, 57P01-57P03 shutdown and cannot-connect-now.
const FULL_CODES = new Set(['SQLITE_FULL', 'SQLITE_IOERR_SHMSIZE', 'ENOSPC', 'EDQUOT', '53100']);
const READ_ONLY_CODES = new Set(['EROFS', 'EACCES', 'EPERM', '25006']);
// Socket errors (ECONNREFUSED, ...) are only the database's when they come from its pool: postgres.ts wraps those.
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03']);
/** What node-postgres says, without a code, when the server went away or the pool could not connect in time. */
const UNAVAILABLE_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

function storageCondition(code: unknown): StorageCondition | undefined {
  if (typeof code !== 'string') return undefined;
  if (FULL_CODES.has(code)) return 'storage_full';
  if (READ_ONLY_CODES.has(code) || code === 'SQLITE_READONLY' || code.startsWith('SQLITE_READONLY_')) return 'storage_read_only';
  if (UNAVAILABLE_CODES.has(code) || code.startsWith('08')) return 'database_unavailable';
  return undefined;
}

/**
 * The StorageError an error stands for (its own code or a cause's), or undefined when it is
 * not a storage condition. The one place driver and file-system codes are interpreted.
 */
export function storageFailure(error: unknown): StorageError | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (current instanceof StorageError) return current;
    const condition = storageCondition((current as NodeJS.ErrnoException).code)
      ?? (UNAVAILABLE_MESSAGES.test(current.message) ? 'database_unavailable' : undefined);
    if (condition) return new StorageError(condition, { cause: error });
  }
  return undefined;
}

/** A catch handler for writes that may be skipped (bookkeeping such as last-used times) when storage refuses them; rethrows anything else. */
export function unlessStorageFailure(error: unknown): void {
  if (!storageFailure(error)) throw error;
}

/** The first error code in an error's cause chain (SQLITE_FULL, ENOSPC, ...), for logs and stored reasons. */
export function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && !(current instanceof AppError)) return code;
  }
  return undefined;
}

/**
 * A failure reason to store where users read it (an export's error): for a storage condition
 * its message and the driver's code, not the driver's text (which names server paths).
 */
export function failureReason(error: unknown): string {
  const storage = storageFailure(error);
  if (!storage) return coerceError(error).message;
  const code = errorCode(storage.cause);
  return code ? `${storage.message} (${code})` : storage.message;
}

/** Turns anything thrown into an Error, so callers never handle non-Error values. */
export function coerceError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(typeof value === 'string' ? value : JSON.stringify(value));
}

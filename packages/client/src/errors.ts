import type { QueuedEvent } from './types.ts';

/** One problem of a refused request, as the server lists them (`index` is the event's place in a batch). */
export interface ErrorDetail {
  path?: string;
  index?: number;
  field?: string;
  message: string;
}

export interface AuditumErrorOptions {
  status?: number;
  details?: ErrorDetail[];
  retryAfterMs?: number;
  events?: QueuedEvent[];
  cause?: unknown;
}

/** Statuses worth sending again: timeout, too many requests, and the server's or a proxy's trouble. */
const RETRYABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
/** Client-side conditions that another try may not meet. */
const RETRYABLE_CODES = new Set(['network_error', 'timeout']);

/**
 * The SDK's one error: the server's answer (its HTTP status, error code, message and details), or a
 * condition of the client itself (no status: `network_error`, `timeout`, `queue_full`, `closed`,
 * `event_too_large`, `unsent`, `export_failed`, ...).
 */
export class AuditumError extends Error {
  readonly code: string;
  readonly status?: number;
  readonly details?: ErrorDetail[];
  /** What the server's Retry-After asked for, in ms. */
  readonly retryAfterMs?: number;
  /** The events this error is about (refused, dropped or left unsent), with their ids. */
  readonly events?: QueuedEvent[];

  constructor(code: string, message: string, options: AuditumErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AuditumError';
    this.code = code;
    this.status = options.status;
    this.details = options.details;
    this.retryAfterMs = options.retryAfterMs;
    this.events = options.events;
  }

  /** True when sending the same request again may succeed. */
  get retryable(): boolean {
    return this.status === undefined ? RETRYABLE_CODES.has(this.code) : RETRYABLE_STATUSES.has(this.status);
  }

  /** The same error about other events (a batch's share of a failure). */
  about(events: QueuedEvent[]): AuditumError {
    const { status, details, retryAfterMs } = this;
    return new AuditumError(this.code, this.message, { status, details, retryAfterMs, events, cause: this.cause });
  }
}

/** Parses Retry-After (delay-seconds or an HTTP-date) to ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Reads an error answer: Auditum's `{"error":{code,message,details}}` or OAuth2's `{error, error_description}`. */
export async function errorFromResponse(response: Response): Promise<AuditumError> {
  const text = await response.text().catch(() => '');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  const error = (body as { error?: unknown } | undefined)?.error;
  const status = response.status;
  if (error && typeof error === 'object') {
    const { code, message, details } = error as { code?: unknown; message?: unknown; details?: ErrorDetail[] };
    const text = String(message ?? response.statusText);
    return new AuditumError(String(code ?? `http_${status}`), text, { status, details, retryAfterMs });
  }
  if (typeof error === 'string') {
    const description = (body as { error_description?: unknown }).error_description;
    return new AuditumError(error, String(description ?? error), { status, retryAfterMs });
  }
  const message = `HTTP ${status} ${response.statusText}`.trim();
  return new AuditumError(`http_${status}`, message, { status, retryAfterMs });
}

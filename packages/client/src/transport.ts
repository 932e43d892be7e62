import type { Auth } from './auth.ts';
import { DEFAULT_RETRY, pause, retryDelay, type RetryOptions } from './backoff.ts';
import { AuditumError, errorFromResponse } from './errors.ts';

export type QueryValue = string | number | boolean | Date | undefined | ReadonlyArray<string | number | Date>;

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  json?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** null: no time limit (streams, downloads). Default: the client's requestTimeoutMs. */
  timeoutMs?: number | null;
}

/** Tries of a read (GET) that fails for a reason worth retrying. */
const READ_ATTEMPTS = 4;

const text = (value: string | number | boolean | Date) => (value instanceof Date ? value.toISOString() : String(value));

/** `path` on the server with the query's values (arrays as repeated parameters). */
export function buildUrl(base: string, path: string, query: Record<string, QueryValue> = {}): URL {
  const url = new URL(path, base);
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(name, text(item));
  }
  return url;
}

/**
 * HTTP to one Auditum server with its credentials: JSON in and out, errors as AuditumError, one new
 * credential and one more try after a 401 where the credential can be renewed (an OAuth2 token).
 */
export function createTransport(deps: { url: string; auth: Auth; timeoutMs: number; retry?: RetryOptions }) {
  const retry = deps.retry ?? DEFAULT_RETRY;

  async function attempt(method: string, path: string, options: RequestOptions, authorization: string) {
    const limit = options.timeoutMs === undefined ? deps.timeoutMs : options.timeoutMs;
    const timeout = limit === null ? undefined : AbortSignal.timeout(limit);
    const signals = [options.signal, timeout].filter((s): s is AbortSignal => s !== undefined);
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers, authorization };
    if (options.json !== undefined) headers['content-type'] = 'application/json';
    try {
      return await fetch(buildUrl(deps.url, path, options.query), {
        method,
        headers,
        body: options.json === undefined ? undefined : JSON.stringify(options.json),
        signal: signals.length > 0 ? AbortSignal.any(signals) : undefined,
      });
    } catch (error) {
      if (timeout?.aborted) {
        throw new AuditumError('timeout', `${method} ${path}: no answer within ${limit} ms`, { cause: error });
      }
      if (options.signal?.aborted) throw new AuditumError('aborted', `${method} ${path} was aborted`, { cause: error });
      const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new AuditumError('network_error', `${method} ${path}: ${reason}`, { cause: error });
    }
  }

  /** One request; the Response whatever its status (a 401 is tried once more with a renewed credential). */
  async function send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const authorization = await deps.auth.header();
    const response = await attempt(method, path, options, authorization);
    if (response.status !== 401 || !deps.auth.renew(authorization)) return response;
    await response.text().catch(() => '');
    return attempt(method, path, options, await deps.auth.header());
  }

  /** A request whose answer must be 2xx; its JSON body (undefined for 204). Reads are retried on transient failures. */
  async function json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    for (let tries = 1; ; tries++) {
      try {
        const response = await send(method, path, options);
        if (!response.ok) throw await errorFromResponse(response);
        if (response.status === 204) return undefined as T;
        return (await response.json()) as T;
      } catch (error) {
        const again = method === 'GET' && error instanceof AuditumError && error.retryable && tries < READ_ATTEMPTS;
        if (!again) throw error;
        await pause(retryDelay(tries, retry, error.retryAfterMs), options.signal);
      }
    }
  }

  return { url: deps.url, send, json, retry };
}

export type Transport = ReturnType<typeof createTransport>;

/** The web page talks to the server only through the public HTTP API. */

let bearer: string | null = null;
let csrf: string | null = null;

/** Embedded mode: a viewer token instead of the session cookie. */
export function setBearer(token: string | null) {
  bearer = token;
}

export function setCsrf(token: string | null) {
  csrf = token;
}

export function isEmbedded() {
  return bearer !== null;
}

/** The credentials of a read: the viewer token in embedded mode, else the session cookie (sent by the browser). */
export const readHeaders = (): Record<string, string> => (bearer ? { authorization: `Bearer ${bearer}` } : {});

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Array<{ path?: string; field?: string; message: string }>,
  ) {
    super(message);
  }
}

/** How long a request may take before the page says the server cannot be reached. */
export const REQUEST_TIMEOUT_MS = 20_000;

/** fetch, bounded in time; a network failure or timeout becomes an ApiError with status 0 and plain words. */
async function send(path: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(path, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
    throw new ApiError(0, 'network', timedOut
      ? `The server did not answer within ${REQUEST_TIMEOUT_MS / 1000} seconds. Check your connection, then retry.`
      : 'Could not reach the Auditum server: the network or the server is down. Check your connection, then retry.');
  }
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  else if (csrf && method !== 'GET') headers['x-csrf-token'] = csrf;
  const response = await send(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: any = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    throw new ApiError(response.status, 'bad_response', `the server answered ${response.status} with something that is not JSON`);
  }
  if (!response.ok) {
    const error = parsed?.error ?? {};
    throw new ApiError(response.status, error.code ?? 'error', error.message ?? `request failed (${response.status})`, error.details);
  }
  return parsed as T;
}

/**
 * Downloads a file with the viewer token (embedded mode, where no session cookie exists): fetched
 * with the Authorization header and saved from a blob, named as the server's Content-Disposition says.
 */
export async function downloadWithToken(path: string, fallbackName: string): Promise<void> {
  const response = await send(path, { headers: readHeaders(), credentials: 'same-origin' });
  if (!response.ok) {
    const parsed = await response.json().catch(() => null);
    throw new ApiError(response.status, parsed?.error?.code ?? 'error', parsed?.error?.message ?? `download failed (${response.status})`);
  }
  const disposition = response.headers.get('content-disposition') ?? '';
  const encoded = /filename\*=UTF-8''([^;]+)/i.exec(disposition)?.[1];
  const name = encoded ? decodeURIComponent(encoded) : fallbackName;
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A readable message for any error, with field details when the server named them. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    const details = error.details?.map((d) => `${d.field ?? d.path}: ${d.message}`).join('; ');
    return details ? `${error.message} (${details})` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

import http from 'node:http';
import https from 'node:https';
import { OutboundRefusedError, ValidationError } from '../errors.ts';
import { guardedLookup } from './guarded-lookup.ts';
import type { OutboundPolicy } from './outbound-policy.ts';

export interface OutboundPost {
  url: string;
  headers: Record<string, string>;
  body: Uint8Array | string;
  /** The whole exchange, connecting included, must end within this. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Response bytes kept (the rest is read and dropped); default 64 KiB. */
  maxResponseBytes?: number;
}

/** Why a request got no HTTP answer. */
export type FailureReason =
  | 'not_allowed'
  | 'invalid_request'
  | 'timeout'
  | 'dns'
  | 'tls_untrusted'
  | 'tls'
  | 'connect'
  | 'cancelled';

export type OutboundResult =
  | { kind: 'answer'; status: number; headers: http.IncomingHttpHeaders; body: Buffer }
  | {
      kind: 'failure';
      reason: FailureReason;
      /** Short and safe to show to whoever configured the URL. */
      message: string;
      /** The underlying error, for the server log only. */
      detail: string;
    };

/**
 * One wording per reason. Refused, reset and unreachable connections (and answers that are not
 * HTTP) all read "could not connect", so the message does not tell an open port from a closed one.
 */
const MESSAGES: Record<Exclude<FailureReason, 'not_allowed'>, string> = {
  invalid_request: 'invalid request',
  timeout: 'timed out',
  dns: 'host name not found',
  tls_untrusted: 'TLS certificate not trusted',
  tls: 'TLS handshake failed',
  connect: 'could not connect',
  cancelled: 'cancelled',
};

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME', 'ENODATA']);
const UNTRUSTED_CODE = /CERT|UNABLE_TO_VERIFY|SELF_SIGNED|UNABLE_TO_GET_ISSUER/;
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;

/** `HTTP 404 Not Found`; a redirect says it was not followed. */
export function httpStatusMessage(status: number): string {
  const text = `HTTP ${status} ${http.STATUS_CODES[status] ?? ''}`.trimEnd();
  return status >= 300 && status < 400 ? `${text} (redirects are not followed)` : text;
}

function failure(reason: FailureReason, detail: string, message = MESSAGES[reason as keyof typeof MESSAGES]) {
  return { kind: 'failure', reason, message, detail } as const;
}

function describe(error: Error, state: { timedOut: boolean; cancelled: boolean }): OutboundResult {
  if (error instanceof OutboundRefusedError) return failure('not_allowed', error.message, error.message);
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const detail = code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  if (state.cancelled) return failure('cancelled', detail);
  if (state.timedOut) return failure('timeout', detail);
  if (DNS_CODES.has(code)) return failure('dns', detail);
  if (UNTRUSTED_CODE.test(code)) return failure('tls_untrusted', detail);
  if (/^ERR_(SSL|TLS)_/.test(code)) return failure('tls', detail);
  return failure('connect', detail);
}

/**
 * POSTs to the URLs Auditum calls out to (OTLP receivers, alert webhooks) under the outbound
 * policy: a literal IP host is checked before anything else, a host name on every new connection
 * after resolving it (guardedLookup), so no socket is opened to a refused address. Redirects are
 * never followed (node:http does not): a 3xx is an answer like any other. `ca` (PEM), if given, is
 * what https servers are verified against (node's `ca` option).
 */
export function createOutboundClient({ policy, ca }: { policy: OutboundPolicy; ca?: string | Buffer }) {
  const lookup = guardedLookup(policy);
  // Own pools: every socket in them was opened through `lookup`, which a shared agent cannot promise.
  const agents = {
    http: new http.Agent({ keepAlive: true }),
    https: new https.Agent({ keepAlive: true, ...(ca ? { ca } : {}) }),
  };

  /** Why `url` is refused before any name is resolved (literal address or denied host name); undefined if not. */
  function urlRefusal(url: string): string | undefined {
    return policy.urlRefusal(new URL(url));
  }

  /** Sends one POST; never throws. */
  function post(request: OutboundPost): Promise<OutboundResult> {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return Promise.resolve(failure('invalid_request', 'the URL cannot be parsed'));
    }
    const refusal = policy.urlRefusal(url);
    if (refusal) return Promise.resolve(failure('not_allowed', refusal, refusal));
    if (request.signal?.aborted) return Promise.resolve(failure('cancelled', 'aborted before sending'));
    const secure = url.protocol === 'https:';
    const maxBytes = request.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    return new Promise((resolve) => {
      const controller = new AbortController();
      const state = { timedOut: false, cancelled: false, settled: false };
      const timer = setTimeout(() => {
        state.timedOut = true;
        controller.abort();
      }, request.timeoutMs);
      const onAbort = () => {
        state.cancelled = true;
        controller.abort();
      };
      request.signal?.addEventListener('abort', onAbort, { once: true });
      const finish = (result: OutboundResult) => {
        if (state.settled) return;
        state.settled = true;
        clearTimeout(timer);
        request.signal?.removeEventListener('abort', onAbort);
        resolve(result);
      };
      const fail = (error: Error) => finish(describe(error, state));
      let req: http.ClientRequest;
      try {
        req = (secure ? https : http).request(
          url,
          {
            method: 'POST',
            headers: { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) },
            agent: secure ? agents.https : agents.http,
            lookup,
            signal: controller.signal,
          },
          (res) => {
            const chunks: Buffer[] = [];
            let size = 0;
            res.on('data', (chunk: Buffer) => {
              size += chunk.length;
              if (size <= maxBytes) chunks.push(chunk);
            });
            res.on('error', fail);
            res.on('end', () => {
              finish({ kind: 'answer', status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
            });
            res.on('close', () => {
              if (!res.complete) fail(new Error('the connection closed before the answer was complete'));
            });
          },
        );
      } catch (error) {
        finish(failure('invalid_request', (error as Error).message));
        return;
      }
      req.on('error', fail);
      req.end(request.body);
    });
  }

  /** Closes idle kept-alive connections. */
  function close() {
    agents.http.destroy();
    agents.https.destroy();
  }

  return { post, urlRefusal, close };
}

export type OutboundClient = ReturnType<typeof createOutboundClient>;

/** For settings being saved: a 400 naming `field` when the URL's literal host (or a denied host name) is refused. */
export function assertUrlAllowed(client: OutboundClient, field: string, url: string): void {
  const refusal = client.urlRefusal(url);
  if (!refusal) return;
  throw new ValidationError(`invalid request body: ${field} is refused: ${refusal}`, [{ path: field, field, message: refusal }]);
}

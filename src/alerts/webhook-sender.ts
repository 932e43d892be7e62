import { createHmac } from 'node:crypto';
import { PermanentJobError, RetryLaterError } from '../jobs/job-runner.ts';
import { parseRetryAfter } from '../jobs/retry-backoff.ts';
import { httpStatusMessage, type OutboundClient } from '../outbound/outbound-client.ts';

export const SIGNATURE_HEADER = 'Auditum-Signature';

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`: the receiver recomputes it and checks t is recent. */
export function signatureHeader(secret: string, body: string, timestampSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

export interface WebhookRequest {
  url: string;
  secret: string;
  body: string;
  alertId: string;
  signal: AbortSignal;
  timeoutMs: number;
  now?: () => number;
}

/**
 * POSTs one signed alert through the outbound client (outbound policy, no redirects). Resolves on
 * a 2xx answer; otherwise throws for the job runner: RetryLaterError when the receiver sent
 * Retry-After, a plain Error (retried with backoff) for any other failure, PermanentJobError for
 * a URL that can never work or that the outbound policy refuses.
 */
export async function sendWebhook(client: OutboundClient, request: WebhookRequest): Promise<number> {
  const t = Math.floor((request.now ?? Date.now)() / 1000);
  const result = await client.post({
    url: request.url,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Auditum-Alerts/1',
      'auditum-alert-id': request.alertId,
      [SIGNATURE_HEADER]: signatureHeader(request.secret, request.body, t),
    },
    body: request.body,
    timeoutMs: request.timeoutMs,
    signal: request.signal,
    // The body is not needed; it is read (and dropped) to free the connection.
    maxResponseBytes: 0,
  });
  if (result.kind === 'failure') {
    if (result.reason === 'not_allowed') throw new PermanentJobError(`webhook not sent: ${result.message}`);
    if (result.reason === 'invalid_request') throw new PermanentJobError(`invalid webhook URL or request: ${result.message}`);
    throw new Error(`webhook not reachable: ${result.message}`);
  }
  if (result.status >= 200 && result.status < 300) return result.status;
  const message = `webhook answered ${httpStatusMessage(result.status)}`;
  const retryAfter = parseRetryAfter(firstHeader(result.headers['retry-after']));
  if (retryAfter !== undefined) throw new RetryLaterError(message, retryAfter);
  throw new Error(message);
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

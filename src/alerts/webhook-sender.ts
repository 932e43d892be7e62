import { createHmac } from 'node:crypto';
import { PermanentJobError, RetryLaterError } from '../jobs/job-runner.ts';
import { parseRetryAfter } from '../jobs/retry-backoff.ts';

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
 * POSTs one signed alert. Resolves on a 2xx answer; otherwise throws for the job runner:
 * RetryLaterError when the receiver sent Retry-After, a plain Error (retried with backoff) for
 * any other failure, PermanentJobError only for a URL that can never work.
 */
export async function sendWebhook(request: WebhookRequest): Promise<number> {
  const t = Math.floor((request.now ?? Date.now)() / 1000);
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Auditum-Alerts/1',
        'auditum-alert-id': request.alertId,
        [SIGNATURE_HEADER]: signatureHeader(request.secret, request.body, t),
      },
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.any([request.signal, AbortSignal.timeout(request.timeoutMs)]),
    });
  } catch (error) {
    if (request.signal.aborted) throw error;
    if (error instanceof TypeError && /invalid url/i.test(String((error as Error).cause ?? error.message))) throw new PermanentJobError(`invalid webhook URL: ${error.message}`);
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`webhook not reachable: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
  }
  // The body is not needed; reading it frees the connection.
  await response.text().catch(() => '');
  if (response.status >= 200 && response.status < 300) return response.status;
  const message = `webhook answered HTTP ${response.status}`;
  const retryAfter = parseRetryAfter(response.headers.get('retry-after') ?? undefined);
  if (retryAfter !== undefined) throw new RetryLaterError(message, retryAfter);
  throw new Error(message);
}

import { z } from 'zod';

export const errorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z
      .array(z.object({ path: z.string().optional(), index: z.number().optional(), field: z.string().optional(), message: z.string() }))
      .optional(),
  }),
});

const errorExample = (code: string, message: string) => ({ error: { code, message } });

/** An error response for the OpenAPI document, with an example of its body. */
const errorResponse = (description: string, example: z.infer<typeof errorSchema>) =>
  errorSchema.meta({ description, examples: [example] });

/** An integer query parameter written in decimal digits only (`0x10`, `1e3` and ` 5` are refused). */
export const queryInt = (min: number, max: number) =>
  z
    .string()
    .regex(/^[0-9]{1,16}$/, 'must be a whole number written in decimal digits')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** The error responses every authenticated route can give, for the OpenAPI document. */
export const errorResponses = {
  400: errorResponse('Invalid input; details name each problem', {
    error: {
      code: 'invalid_request',
      message: 'invalid request body: events.0.type must contain at least one dot, e.g. "user.login"',
      details: [{ path: 'events.0.type', index: 0, field: 'type', message: 'must contain at least one dot, e.g. "user.login"' }],
    },
  }),
  401: errorResponse('Missing or invalid credentials', errorExample('unauthorized', 'invalid credentials')),
  403: errorResponse('The credential lacks the required scope or role',
    errorExample('forbidden', 'this credential is not allowed to do this (needs the events:read scope)')),
  404: errorResponse('Not found in this organization', errorExample('not_found', 'event not found')),
  413: errorResponse('Request body too large', errorExample('payload_too_large', 'Request body is too large')),
  503: errorResponse('Overloaded, or the storage is unavailable: retry after the Retry-After header\'s seconds',
    errorExample('overloaded', 'too many requests are waiting to be written; retry after the Retry-After header\'s seconds')),
};

/**
 * An absolute http(s) URL that Auditum will call (OTLP receiver, alert webhook). Credentials in the
 * URL are refused: GET would show them and the audit log would record them; `credentialsHint` says
 * what to use instead.
 */
export function outboundUrlSchema(credentialsHint: string, example: string) {
  return z
    .string()
    .max(2048)
    .superRefine((value, ctx) => {
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        ctx.addIssue({ code: 'custom', message: `must be an absolute http:// or https:// URL, e.g. ${example}` });
        return;
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: 'must use http:// or https://' });
      else if (url.username || url.password) ctx.addIssue({ code: 'custom', message: `must not contain credentials; ${credentialsHint}` });
    });
}

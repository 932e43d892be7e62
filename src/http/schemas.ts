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

/** An integer query parameter written in decimal digits only (`0x10`, `1e3` and ` 5` are refused). */
export const queryInt = (min: number, max: number) =>
  z
    .string()
    .regex(/^[0-9]{1,16}$/, 'must be a whole number written in decimal digits')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** The error responses every authenticated route can give, for the OpenAPI document. */
export const errorResponses = {
  400: errorSchema.describe('Invalid input; details name each problem'),
  401: errorSchema.describe('Missing or invalid credentials'),
  403: errorSchema.describe('The credential lacks the required scope or role'),
  404: errorSchema.describe('Not found in this organization'),
  413: errorSchema.describe('Request body too large'),
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

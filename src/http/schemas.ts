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

/** The error responses every authenticated route can give, for the OpenAPI document. */
export const errorResponses = {
  400: errorSchema.describe('Invalid input; details name each problem'),
  401: errorSchema.describe('Missing or invalid credentials'),
  403: errorSchema.describe('The credential lacks the required scope or role'),
  404: errorSchema.describe('Not found in this organization'),
  413: errorSchema.describe('Request body too large'),
};

import { z } from 'zod';

/**
 * What the OTLP log export API answers, apart from the input schemas (otel-export.schemas.ts) so the
 * web page can take the types (`import type`) without the server's Node.js imports.
 */

/** What a stored header value is shown as: values are write-only. */
export const MASK = '****';

export const protocolSchema = z.enum(['http/protobuf', 'http/json']);

export const otelExportViewSchema = z.object({
  endpoint_url: z.string(),
  headers: z.record(z.string(), z.literal(MASK)),
  max_batch_size: z.number().int(),
  protocol: protocolSchema,
  enabled: z.boolean(),
  start: z.string(),
  updated_at: z.string(),
  status: z.object({
    state: z.enum(['disabled', 'failing', 'ok', 'idle']).describe('idle: nothing delivered or failed yet'),
    last_error: z
      .object({
        at: z.string(),
        http_status: z.number().int().nullable().describe('null for a network error'),
        kind: z.enum(['http', 'network']),
        message: z.string(),
      })
      .nullable()
      .describe('set while delivery is failing'),
    last_success_at: z.string().nullable(),
    delivered_seq: z.number().int().describe('the last entry seq the receiver accepted'),
    pending: z.number().int().describe('entries waiting to be delivered'),
    rejected_log_records: z.object({
      total: z.number().int(),
      last_at: z.string().nullable(),
      last_count: z.number().int().nullable(),
      last_message: z.string().nullable(),
    }).describe('records the receiver reported as rejected (OTLP partial success)'),
  }),
});

export type OtelExportView = z.infer<typeof otelExportViewSchema>;

export const otelTestResultViewSchema = z.object({
  ok: z.boolean(),
  http_status: z.number().int().nullable(),
  message: z
    .string()
    .nullable()
    .describe('a short reason (HTTP status text, or e.g. "could not connect", "timed out"); never the receiver\'s body'),
  rejected_log_records: z.number().int(),
});
export type OtelTestResultView = z.infer<typeof otelTestResultViewSchema>;

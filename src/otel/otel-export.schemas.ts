import { z } from 'zod';
import { rfc3339 } from '../events/event.schemas.ts';
import { outboundUrlSchema } from '../http/schemas.ts';
import { MASK, protocolSchema } from './otel-export-view.schema.ts';

export {
  MASK,
  otelExportViewSchema,
  otelTestResultViewSchema,
  protocolSchema,
  type OtelExportView,
} from './otel-export-view.schema.ts';

export const MAX_HEADERS = 32;
export const DEFAULT_BATCH_SIZE = 100;
/** Headers the exporter sets itself; a configured value would break the request. */
const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'host', 'transfer-encoding', 'connection', 'user-agent']);

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export const endpointUrlSchema = outboundUrlSchema('send them as a header', 'https://collector.example.com/v1/logs')
  .describe('the OTLP/HTTP logs endpoint, usually ending in /v1/logs');

const headersSchema = z
  .record(z.string(), z.string())
  .superRefine((headers, ctx) => {
    const names = Object.keys(headers);
    if (names.length > MAX_HEADERS) ctx.addIssue({ code: 'custom', message: `at most ${MAX_HEADERS} headers` });
    const seen = new Set<string>();
    for (const name of names) {
      const lower = name.toLowerCase();
      if (!TOKEN.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'is not a valid HTTP header name' });
      else if (RESERVED_HEADERS.has(lower)) ctx.addIssue({ code: 'custom', path: [name], message: 'is set by Auditum and cannot be configured' });
      else if (seen.has(lower)) ctx.addIssue({ code: 'custom', path: [name], message: 'is given twice (header names are case-insensitive)' });
      seen.add(lower);
      const value = headers[name]!;
      if (value.length > 8192 || !HEADER_VALUE.test(value)) ctx.addIssue({ code: 'custom', path: [name], message: 'must be at most 8,192 characters without line breaks or control characters' });
    }
  })
  .describe(`header name -> value, sent with every request; a value of "${MASK}" keeps the stored one`);

export const putOtelExportSchema = z.strictObject({
  endpoint_url: endpointUrlSchema,
  headers: headersSchema.default({}),
  max_batch_size: z.number().int().min(1).max(1000).default(DEFAULT_BATCH_SIZE).describe('log records per request, 1-1000'),
  protocol: protocolSchema.default('http/protobuf'),
  enabled: z.boolean().default(true),
  start: z
    .union([z.literal('now'), rfc3339])
    .optional()
    .describe('where delivery starts: "now" (entries appended from now on; the default for a new destination) or an RFC 3339 time (backfill entries received from then on). Omitted on an update: delivery continues where it is'),
});

export type PutOtelExport = z.infer<typeof putOtelExportSchema>;

export const testOtelExportSchema = z
  .strictObject({
    endpoint_url: endpointUrlSchema,
    headers: headersSchema.default({}),
    protocol: protocolSchema.default('http/protobuf'),
  })
  .describe(`values to test instead of the stored ones (a form not saved yet); "${MASK}" header values use the stored ones`);

export type TestOtelExport = z.infer<typeof testOtelExportSchema>;

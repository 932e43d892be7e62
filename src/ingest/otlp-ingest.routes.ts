import zlib from 'node:zlib';
import type { FastifyRequest } from 'fastify';
import { AppError, ValidationError, type ErrorDetail } from '../errors.ts';
import type { AuthGuard } from '../http/auth.ts';
import type { AuthHook } from '../http/openapi-security.ts';
import type { App } from '../http/types.ts';
import { errorResponses } from '../http/schemas.ts';
import { z } from 'zod';
import { issueDetails } from '../http/validation.ts';
import { eventInputSchema, MAX_BATCH, type EventInput } from '../events/event.schemas.ts';
import type { GroupCommit } from './group-commit.ts';
import { decodeProtobuf, encodeStatus, encodeSuccess, flattenRequest } from './otlp-decode.ts';
import { recordToEvent } from './otlp-log-mapping.ts';

export const OTLP_LOGS_PATH = '/v1/otlp/v1/logs';
const PROTOBUF = 'application/x-protobuf';

/** google.rpc.Code for an HTTP status, as OTLP/HTTP's Status body carries it. */
function grpcCode(status: number): number {
  if (status === 401) return 16; // UNAUTHENTICATED
  if (status === 403) return 7; // PERMISSION_DENIED
  if (status === 429 || status === 503) return 14; // UNAVAILABLE: retryable
  if (status >= 500) return 13; // INTERNAL
  return 3; // INVALID_ARGUMENT
}

const isProtobuf = (request: FastifyRequest) => (request.headers['content-type'] ?? '').toLowerCase().startsWith(PROTOBUF);

/**
 * POST /v1/otlp/v1/logs: OTLP/HTTP log export (protobuf or JSON, optionally gzip), each record
 * stored as an entry, all-or-nothing per request like POST /v1/events. Collectors authenticate
 * with an API key as a Bearer token or in `x-api-key`. Failures answer OTLP's Status (in the
 * request's encoding; the JSON one also carries Auditum's own `error` member).
 */
export function otlpIngestRoutes(app: App, deps: { ingest: GroupCommit; auth: AuthGuard }) {
  app.register(async (scope) => {
    scope.addContentTypeParser(PROTOBUF, { parseAs: 'buffer' }, (_request, body, done) => {
      try {
        done(null, decodeProtobuf(body as Buffer));
      } catch (error) {
        done(new AppError(400, 'invalid_protobuf', `the body is not an ExportLogsServiceRequest: ${(error as Error).message}`));
      }
    });
    scope.addHook('preParsing', async (request, _reply, payload) => {
      const encoding = (request.headers['content-encoding'] ?? 'identity').toLowerCase();
      if (encoding === 'identity') return payload;
      if (encoding !== 'gzip') {
        throw new AppError(415, 'unsupported_media_type', `Content-Encoding ${encoding} is not supported; send gzip or none`);
      }
      return gunzipped(payload);
    });
    // Errors keep their status and Retry-After; the body becomes OTLP's Status.
    scope.addHook('onSend', async (request, reply, payload) => {
      if (reply.statusCode < 400 || typeof payload !== 'string') return payload;
      const body = JSON.parse(payload) as { error: { message: string } };
      const code = grpcCode(reply.statusCode);
      if (!isProtobuf(request)) return JSON.stringify({ code, message: body.error.message, ...body });
      reply.type(PROTOBUF);
      return Buffer.from(encodeStatus(code, body.error.message));
    });

    scope.post(OTLP_LOGS_PATH, {
      schema: {
        summary: 'Record OTLP log records as events (OTLP/HTTP: protobuf or JSON, optionally gzip)',
        description: 'Each log record becomes an entry, mapped as the README\'s "OTLP ingest" section says; all-or-nothing, '
          + `at most ${MAX_BATCH} records. The API key goes in Authorization (Bearer) or x-api-key. Answers an empty `
          + 'ExportLogsServiceResponse, or OTLP\'s Status on failure (503 and 429 with Retry-After are retryable).',
        tags: ['events'],
        response: {
          200: z.object({}).describe('an empty ExportLogsServiceResponse, in the request\'s encoding'),
          ...errorResponses,
        },
      },
      onRequest: [apiKeyHeader, deps.auth.requireScope('events:write')],
      handler: async (request, reply) => {
        const events = eventsOf(request.body);
        await deps.ingest.append(request.principal!.orgId, events);
        if (isProtobuf(request)) return reply.type(PROTOBUF).send(Buffer.from(encodeSuccess()));
        return reply.type('application/json').send('{}');
      },
    });
  });
}

/** `x-api-key: <key>` (what collectors' header settings make easy) read as `Authorization: Bearer <key>`. */
const apiKeyHeader = Object.assign(async (request: FastifyRequest) => {
  const key = request.headers['x-api-key'];
  if (typeof key === 'string' && request.headers.authorization === undefined) request.headers.authorization = `Bearer ${key}`;
}, { apiKeyHeader: true } satisfies AuthHook);

/** The request's records as validated event inputs, or one error naming every record that cannot be one. */
function eventsOf(body: unknown): EventInput[] {
  const records = flattenRequest(body);
  if (records.length === 0) throw new ValidationError('the request holds no log records');
  if (records.length > MAX_BATCH) {
    throw new ValidationError(`the request holds ${records.length} log records; send at most ${MAX_BATCH} per request`);
  }
  const problems: ErrorDetail[] = [];
  const events: EventInput[] = [];
  records.forEach((record, index) => {
    const mapped = recordToEvent(record);
    if (!mapped.ok) return problems.push({ index, path: record.path, message: mapped.message });
    const parsed = eventInputSchema.safeParse(mapped.event);
    if (parsed.success) return events.push(parsed.data);
    for (const detail of issueDetails(parsed.error.issues)) {
      problems.push({ index, path: record.path, field: detail.path, message: detail.message });
    }
  });
  if (problems.length === 0) return events;
  const first = problems[0]!;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  const where = `${first.path}${first.field ? ` ${first.field}` : ''}`;
  throw new ValidationError(`log record ${where} ${first.message}${more}; nothing was stored`, problems);
}

/**
 * The payload gunzipped, with the compressed bytes counted where Fastify checks Content-Length and
 * the body limit (which it applies to the gunzipped bytes too). Fastify answers a corrupt stream's error with 400.
 */
function gunzipped(payload: NodeJS.ReadableStream): NodeJS.ReadableStream {
  const out = Object.assign(zlib.createGunzip(), { receivedEncodedLength: 0 });
  payload.on('data', (chunk: Buffer) => {
    out.receivedEncodedLength += chunk.length;
  });
  payload.pipe(out);
  return out;
}

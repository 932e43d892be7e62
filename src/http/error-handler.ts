import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, errorCode, OverloadedError, storageFailure, TooManyError } from '../errors.ts';
import { wantsPage } from '../web/web-page.ts';

/** Codes for the 4xx errors Fastify raises itself, before our handlers run. */
const fastifyCodes: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
};

/** Maps any error to `{"error":{code,message,details?}}`; 5xx internals are logged, never sent. */
export function errorHandler(error: FastifyError | AppError | Error, request: FastifyRequest, reply: FastifyReply) {
  const storage = storageFailure(error);
  if (storage) {
    // The driver's own error (SQLITE_FULL, EROFS, ...) is the one logged, whatever wrapped it.
    const cause = storage.cause ?? storage;
    request.log.error({ err: cause, code: errorCode(cause) }, `request failed: ${storage.code}`);
    reply.header('retry-after', String(storage.retryAfterSeconds));
    return reply.status(storage.status).send({ error: { code: storage.code, message: storage.message } });
  }
  if (error instanceof AppError) {
    if (error instanceof OverloadedError || error instanceof TooManyError) reply.header('retry-after', String(error.retryAfterSeconds));
    else if (error.status >= 500) request.log.error({ err: error }, 'request failed');
    return reply.status(error.status).send({ error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } });
  }
  const status = (error as FastifyError).statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    const fastifyCode = (error as FastifyError).code ?? '';
    // A body JSON.parse rejected arrives as a SyntaxError with status 400.
    const code = fastifyCodes[fastifyCode] ?? (error instanceof SyntaxError ? 'invalid_json' : status === 404 ? 'not_found' : 'bad_request');
    return reply.status(status).send({ error: { code, message: error.message } });
  }
  request.log.error({ err: error }, 'request failed');
  return reply.status(500).send({ error: { code: 'internal', message: 'internal error; the server log has the details' } });
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply) {
  if (wantsPage(request.method, request.url, request.headers.accept)) return reply.type('text/html').sendFile('index.html');
  return reply.status(404).send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } });
}

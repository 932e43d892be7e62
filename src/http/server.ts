import fastifyCookie from '@fastify/cookie';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorHandler, notFoundHandler } from './error-handler.ts';
import type { App } from './types.ts';
import { declareSecurity, SECURITY_SCHEMES } from './openapi-security.ts';
import { checkQueryText, parseJsonBody, zodValidatorCompiler } from './validation.ts';

export interface ServerOptions {
  logger: FastifyBaseLogger;
  bodyLimit: number;
  /** Headers and body must arrive within this long (ms); slow senders get 408 and are disconnected. */
  requestTimeoutMs: number;
  /** Connections accepted at once; further ones are closed at once. */
  maxConnections: number;
  /** Fastify's trustProxy: which proxies' X-Forwarded-* headers to believe (request.ip, request.protocol). */
  trustProxy: boolean | string[];
}

/** How often Node looks for requests past their timeout: often enough that the cut-off is close to the limit. */
const TIMEOUT_CHECK_MS = 500;

/** The Fastify instance with our validation, error shape and OpenAPI document; routes are added by the caller. */
export async function createServer(options: ServerOptions): Promise<App> {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimit,
    // Forbidden keys in JSON bodies are rejected with a 400, not silently dropped.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    trustProxy: options.trustProxy,
    return503OnClosing: true,
    requestTimeout: options.requestTimeoutMs,
    http: {
      headersTimeout: Math.min(10_000, options.requestTimeoutMs),
      connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_MS, options.requestTimeoutMs),
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.server.maxConnections = options.maxConnections;

  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  app.decorateRequest('principal', null);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJsonBody);
  app.addHook('preValidation', checkQueryText);

  await app.register(fastifyCookie);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Auditum API', version: '1', description: 'Tamper-evident audit log service' },
      components: {
        securitySchemes: SECURITY_SCHEMES,
      },
    },
    transform: jsonSchemaTransform,
  });

  // Before any route is added: each one's security is read from its auth hook.
  app.addHook('onRoute', declareSecurity);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/healthz', {
    schema: { summary: 'Liveness', tags: ['meta'], response: { 200: z.object({ status: z.literal('ok') }) } },
    handler: async () => ({ status: 'ok' as const }),
  });
  return app;
}

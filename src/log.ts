import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';

/** Structured JSON-lines logger; credentials in headers are redacted. */
export function createLogger(level: string, destination?: pino.DestinationStream): FastifyBaseLogger {
  return pino(
    { level, redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization'], censor: '[redacted]' } },
    destination,
  ) as FastifyBaseLogger;
}

import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';

/** Query parameters that carry credentials (viewer JWTs in /embed, invite and setup tokens). */
const SECRET_PARAMS = /([?&](?:token|access_token|id_token|code|secret|client_secret|password|key)=)[^&#]*/gi;

/** A request URL as it may be logged: credential-bearing query values become `[redacted]`. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_PARAMS, '$1[redacted]');
}

interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/** Structured JSON-lines logger; credentials in headers and in request URLs are redacted. */
export function createLogger(level: string, destination?: pino.DestinationStream): FastifyBaseLogger {
  return pino(
    {
      level,
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization'], censor: '[redacted]' },
      serializers: {
        req: (req: LoggedRequest) => ({
          method: req.method,
          url: req.url === undefined ? undefined : redactUrl(req.url),
          host: req.host,
          remoteAddress: req.ip,
          remotePort: req.socket?.remotePort,
        }),
      },
    },
    destination,
  ) as FastifyBaseLogger;
}

/** Error details as returned to clients: one entry per problem, naming where it is. */
export interface ErrorDetail {
  path?: string;
  index?: number;
  field?: string;
  message: string;
}

/** The one error type the application throws; the HTTP layer maps it to `{"error":{code,message,details}}`. */
export class AppError extends Error {
  readonly status: number;
  /** The same as `status`; Fastify reads this name when an error escapes a hook or validator. */
  readonly statusCode: number;
  readonly code: string;
  readonly details?: ErrorDetail[];

  constructor(status: number, code: string, message: string, details?: ErrorDetail[]) {
    super(message);
    this.name = 'AppError';
    this.status = status;
    this.statusCode = status;
    this.code = code;
    this.details = details;
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details?: ErrorDetail[]) {
    super(400, 'invalid_request', message, details);
  }
}

export class NotFoundError extends AppError {
  constructor(what: string) {
    super(404, 'not_found', `${what} not found`);
  }
}

export class AuthError extends AppError {
  constructor(message = 'missing or invalid credentials') {
    super(401, 'unauthorized', message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'not allowed') {
    super(403, 'forbidden', message);
  }
}

export class ConflictError extends AppError {
  constructor(message: string) {
    super(409, 'conflict', message);
  }
}

/** A connection the outbound policy (AUDITUM_OUTBOUND_ALLOW/DENY) refuses; raised before connecting. */
export class OutboundRefusedError extends AppError {
  constructor(message: string) {
    super(400, 'outbound_not_allowed', message);
  }
}

/** Turns anything thrown into an Error, so callers never handle non-Error values. */
export function coerceError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(typeof value === 'string' ? value : JSON.stringify(value));
}

import type { FastifyRequest, FastifySchemaCompiler } from 'fastify';
import secureJson from 'secure-json-parse';
import type { z } from 'zod';
import { AppError, ValidationError, type ErrorDetail } from '../errors.ts';

type Issue = z.core.$ZodIssue;

/** Depth of the deepest issue: the union branch that got furthest is the one the client meant. */
function reach(issues: readonly Issue[]): number {
  return Math.max(0, ...issues.map((i) => i.path.length + (i.code === 'invalid_union' ? reach(i.errors.flat()) : 0)));
}

/** Flattens zod issues, replacing each union failure by the issues of its most likely branch. */
function flatten(issues: readonly Issue[], prefix: PropertyKey[] = []): Array<{ path: PropertyKey[]; message: string }> {
  const out: Array<{ path: PropertyKey[]; message: string }> = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const best = [...issue.errors].sort((a, b) => reach(b) - reach(a) || a.length - b.length)[0]!;
      out.push(...flatten(best, path));
    } else if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: [...path, key], message: 'unknown field' });
    } else {
      out.push({ path, message: issue.message });
    }
  }
  return out;
}

/** Renders a path as `events[3].actor.id`. */
function renderPath(path: PropertyKey[]): string {
  return path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)), '');
}

/** Turns zod issues into error details; batch items get `index` and `field` relative to the event. */
export function issueDetails(issues: readonly Issue[]): ErrorDetail[] {
  return flatten(issues).map(({ path, message }) => {
    const detail: ErrorDetail = { path: renderPath(path) || '(body)', message };
    if (path[0] === 'events' && typeof path[1] === 'number') {
      detail.index = path[1];
      detail.field = renderPath(path.slice(2)) || '(event)';
    } else {
      detail.field = detail.path;
    }
    return detail;
  });
}

/** Fastify validator for zod schemas: invalid input becomes a 400 listing every problem. */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => (data) => {
  const result = schema.safeParse(data);
  if (result.success) return { value: result.data };
  const details = issueDetails(result.error.issues);
  const where = httpPart === 'body' ? 'request body' : httpPart === 'querystring' ? 'query' : httpPart;
  const first = details[0];
  const message = `invalid ${where}: ${first ? `${first.path} ${first.message}` : 'does not match the schema'}${details.length > 1 ? ` (and ${details.length - 1} more)` : ''}`;
  return { error: new ValidationError(message, details) };
};

/**
 * Where the first string or key that is not well-formed Unicode (a lone surrogate, which JSON's
 * `\\ud800` escapes can carry) sits in a parsed JSON value, or null. Iterative: hostile nesting
 * cannot overflow the stack.
 */
export function illFormedPath(value: unknown): PropertyKey[] | null {
  const stack: Array<{ value: unknown; path: PropertyKey[] }> = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: current, path } = stack.pop()!;
    if (typeof current === 'string') {
      if (!current.isWellFormed()) return path;
    } else if (Array.isArray(current)) {
      current.forEach((item, i) => stack.push({ value: item, path: [...path, i] }));
    } else if (current !== null && typeof current === 'object') {
      for (const [key, item] of Object.entries(current)) {
        if (!key.isWellFormed()) return path;
        stack.push({ value: item, path: [...path, key] });
      }
    }
  }
  return null;
}

/** The charset a JSON body may declare: JSON is UTF-8 (RFC 8259), and nothing else is decoded. */
const UTF8 = /^utf-?8$/i;

/**
 * JSON body parser, for every route: names the problem, rejects `__proto__`/`constructor.prototype`
 * keys, a declared charset other than UTF-8, and strings that are not valid Unicode anywhere in
 * the body (so no route can store what ingest would refuse).
 */
export function parseJsonBody(request: FastifyRequest, body: string | Buffer, done: (error: Error | null, value?: unknown) => void) {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1];
  if (charset && !UTF8.test(charset)) {
    return done(new AppError(415, 'unsupported_media_type', `charset ${charset} is not supported; send JSON as UTF-8`));
  }
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (text.trim() === '') return done(new AppError(400, 'invalid_json', 'request body is empty; send a JSON object'));
  let parsed: unknown;
  try {
    parsed = secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'unparseable';
    const message = /prototype/i.test(reason)
      ? `request body contains a forbidden key (__proto__ or constructor.prototype)`
      : `request body is not valid JSON: ${reason}`;
    return done(new AppError(400, 'invalid_json', message));
  }
  const bad = illFormedPath(parsed);
  if (bad) {
    const [detail] = issueDetails([{ code: 'custom', path: bad, message: 'must be valid Unicode (no lone surrogates)', input: undefined }]);
    return done(new ValidationError(`invalid request body: ${detail!.path} must be valid Unicode (no lone surrogates)`, [detail!]));
  }
  done(null, parsed);
}

/** Control characters and lone surrogates have no place in a query parameter (`q=abc%00`). */
const QUERY_CONTROL = /[\u0000-\u001f\u007f]/;

/** Refuses query parameters holding control characters or invalid Unicode, for every route, before its schema runs. */
export async function checkQueryText(request: FastifyRequest): Promise<void> {
  for (const [name, value] of Object.entries((request.query ?? {}) as Record<string, unknown>)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (typeof item !== 'string') continue;
      const problem = !item.isWellFormed() ? 'must be valid Unicode' : QUERY_CONTROL.test(item) ? 'must not contain control characters' : null;
      if (problem) throw new ValidationError(`invalid query: ${name} ${problem}`, [{ path: name, field: name, message: problem }]);
    }
  }
}

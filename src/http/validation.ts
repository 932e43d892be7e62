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

/** JSON body parser: names the problem, and rejects `__proto__`/`constructor.prototype` keys. */
export function parseJsonBody(_request: FastifyRequest, body: string | Buffer, done: (error: Error | null, value?: unknown) => void) {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (text.trim() === '') return done(new AppError(400, 'invalid_json', 'request body is empty; send a JSON object'));
  try {
    done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'unparseable';
    const message = /prototype/i.test(reason) ? `request body contains a forbidden key (__proto__ or constructor.prototype)` : `request body is not valid JSON: ${reason}`;
    done(new AppError(400, 'invalid_json', message));
  }
}

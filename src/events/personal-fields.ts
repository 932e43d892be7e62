import { hash, randomBytes } from 'node:crypto';
import canonicalize from 'canonicalize';
import { z } from 'zod';

/**
 * Personal fields under hash version 2: each is committed to by a salted hash, and the entry's hash
 * covers the commitment instead of the value, so erasing the value and its salt keeps every hash.
 */

/** Fields every entry commits to where it has them: who acted, from where, and a target's name. */
export const FIXED_PERSONAL_PATHS = [
  'actor.id',
  'actor.email',
  'actor.name',
  'actor.on_behalf_of.id',
  'actor.on_behalf_of.email',
  'ip',
  'user_agent',
  'target.name',
] as const;

/** What an erased value reads as, everywhere (API, page, exports, OTLP). */
export const ERASED = '[erased]';

/** Bytes of each field's random salt. */
const SALT_BYTES = 16;

/** A personal field while it holds its value (its salt), or once erased (the commitment alone). */
export type PersonalField = { salt: string } | { commitment: string };
/** Path (dot-separated) to its PersonalField, for each field an entry commits to. */
export type Personal = Record<string, PersonalField>;

/** The paths an organization adds (settings.personal_fields): inside metadata, request body or response. */
export const personalPathSchema = z
  .string()
  .max(256)
  .regex(
    /^(metadata|request\.body|request\.response)(\.[A-Za-z0-9_$@-]{1,64}){1,8}$/,
    'must be metadata.<key>[.<key>...], request.body.<key>... or request.response.<key>... (letters, digits, _ $ @ -)',
  );

export const personalPathsSchema = z.array(personalPathSchema).max(100);

const segments = (path: string) => path.split('.');
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The value at `path` (through objects only), or undefined. */
export function valueAt(root: unknown, path: string): unknown {
  let node = root;
  for (const key of segments(path)) {
    if (!isObject(node) || !Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  return node;
}

/** A copy of `root` with the value at `path` (which must exist) replaced, copying only the objects on the path. */
export function withValueAt<T>(root: T, path: string, value: unknown): T {
  const keys = segments(path);
  const top = { ...(root as Record<string, unknown>) };
  let node = top;
  for (let i = 0; i < keys.length - 1; i++) {
    const child = { ...(node[keys[i]!] as Record<string, unknown>) };
    node[keys[i]!] = child;
    node = child;
  }
  node[keys.at(-1)!] = value;
  return top as T;
}

/** hex(SHA-256(salt as hex ASCII || JCS(value))): the commitment the entry's hash covers in place of the value. */
export function commitment(saltHex: string, value: unknown): string {
  // RFC 8785 serializes a string exactly as JSON.stringify does.
  const text = typeof value === 'string' ? JSON.stringify(value) : canonicalize(value);
  if (text === undefined) throw new Error('value cannot be canonicalized');
  return hash('sha256', saltHex + text, 'hex');
}

/** Fresh salts for the paths of `entry` that hold a value (null and absent fields are not committed). */
export function saltPersonal(entry: object, paths: readonly string[]): Personal {
  const present = paths.filter((path) => {
    const value = valueAt(entry, path);
    return value !== undefined && value !== null;
  });
  const salts = randomBytes(SALT_BYTES * present.length).toString('hex');
  const personal: Personal = {};
  present.forEach((path, i) => {
    personal[path] = { salt: salts.slice(i * SALT_BYTES * 2, (i + 1) * SALT_BYTES * 2) };
  });
  return personal;
}

/** The fields of `personal` that were erased. */
export function erasedPaths(personal: Personal | undefined): string[] {
  return Object.entries(personal ?? {}).filter(([, field]) => 'commitment' in field).map(([path]) => path);
}

/** The fields of `personal` that still hold their value (and so can be erased). */
export function saltedPaths(personal: Personal): string[] {
  return Object.entries(personal).filter(([, field]) => 'salt' in field).map(([path]) => path);
}

/**
 * The entry with the values at `paths` erased: each reads as ERASED and keeps only its commitment,
 * so the entry still gives its hash. Paths that are not holding a value (salted) are left alone.
 */
export function eraseFields<E extends { personal?: Personal }>(entry: E, paths: readonly string[]): E {
  let erased = entry;
  const personal: Personal = { ...entry.personal };
  for (const path of paths) {
    const field = personal[path];
    if (!field || !('salt' in field)) continue;
    personal[path] = { commitment: commitment(field.salt, valueAt(erased, path)) };
    erased = withValueAt(erased, path, ERASED);
  }
  return { ...erased, personal };
}

import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/** The prev_hash of seq 1: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

const canonical = (value: unknown): string => {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('the entry has no canonical JSON form');
  return text;
};

/** A copy of `root` with the value at the dot-separated `path` replaced by `commit(value)`; throws when it is not there. */
function committedAt(root: Json, path: string, commit: (value: unknown) => string): Json {
  const [key, ...rest] = path.split('.');
  if (!isObject(root) || !Object.hasOwn(root, key!)) throw new TypeError(`personal field ${path} is not in the entry`);
  const child = rest.length === 0 ? commit(root[key!]) : committedAt(root[key!] as Json, rest.join('.'), commit);
  return { ...root, [key!]: child };
}

/**
 * An entry's hash by the README's "Hash chain specification": lowercase hex of
 * SHA-256(prev_hash as ASCII || UTF-8 of the RFC 8785 canonical JSON of the hashed form). Version 1
 * (no hash_version): the entry without `hash`. Version 2: also without `personal`, each personal
 * field's value replaced by its commitment, hex(SHA-256(salt as hex ASCII || JCS(value))), or the stored
 * commitment of an erased field.
 */
export function entryHash(entry: { prev_hash: string; hash?: string } & Record<string, unknown>): string {
  const { hash: _hash, personal, ...rest } = entry;
  let form: Json = rest;
  if (rest.hash_version !== undefined) {
    if (rest.hash_version !== 2) throw new TypeError(`unknown hash_version ${String(rest.hash_version)}`);
    for (const [path, field] of Object.entries((personal ?? {}) as Record<string, { salt?: string; commitment?: string }>)) {
      form = committedAt(form, path, (value) => field.commitment ?? createHash('sha256')
        .update(field.salt ?? '', 'ascii').update(canonical(value), 'utf8').digest('hex'));
    }
  }
  return createHash('sha256').update(entry.prev_hash, 'ascii').update(canonical(form), 'utf8').digest('hex');
}

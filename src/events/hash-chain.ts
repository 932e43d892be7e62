import { hash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { Entry } from './event.schemas.ts';
import { commitment, valueAt, withValueAt } from './personal-fields.ts';

/** The `prev_hash` of an organization's first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** The hash version new entries follow (README, Hash chain specification). */
export const HASH_VERSION = 2;

/** An entry whose personal fields cannot be resolved: it cannot match any hash. */
export class HashFormError extends Error {}

type Hashable = Omit<Entry, 'hash'> | Entry;

/**
 * The object that is hashed. Version 1 (no `hash_version`): the entry without `hash`. Version 2:
 * also without `personal`, and with each personal field's value replaced by its commitment.
 */
export function hashedForm(entry: Hashable): object {
  const { hash: _hash, personal, ...rest } = entry as Entry;
  if (rest.hash_version === undefined) return rest;
  if (rest.hash_version !== HASH_VERSION) throw new HashFormError(`unknown hash_version ${String(rest.hash_version)}`);
  let form: object = rest;
  for (const [path, field] of Object.entries(personal ?? {})) {
    const value = valueAt(form, path);
    if (value === undefined) throw new HashFormError(`personal field ${path} is not in the entry`);
    form = withValueAt(form, path, 'commitment' in field ? field.commitment : commitment(field.salt, value));
  }
  return form;
}

/** RFC 8785 canonical JSON of the entry's hashed form: the exact bytes that are hashed. */
export function canonicalEntry(entry: Hashable): string {
  const text = canonicalize(hashedForm(entry));
  if (text === undefined) throw new Error('entry cannot be canonicalized');
  return text;
}

/** hash = hex(SHA-256(prev_hash as 64 ASCII hex characters || UTF-8 canonical JSON of the hashed form)). */
export function entryHash(entry: Hashable): string {
  // prev_hash is ASCII: the UTF-8 of the concatenation is the two byte strings one after the other.
  return hash('sha256', entry.prev_hash + canonicalEntry(entry), 'hex');
}

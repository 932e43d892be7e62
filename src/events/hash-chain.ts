import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { Entry } from './event.schemas.ts';

/** The `prev_hash` of an organization's first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** RFC 8785 canonical JSON of an entry without its `hash` field: the exact bytes that are hashed. */
export function canonicalEntry(entry: Omit<Entry, 'hash'> | Entry): string {
  const { hash: _ignored, ...rest } = entry as Entry;
  const text = canonicalize(rest);
  if (text === undefined) throw new Error('entry cannot be canonicalized');
  return text;
}

/** hash = hex(SHA-256(prev_hash as 64 ASCII hex characters || UTF-8 canonical JSON of the entry without hash)). */
export function entryHash(entry: Omit<Entry, 'hash'> | Entry): string {
  return createHash('sha256').update(entry.prev_hash, 'ascii').update(canonicalEntry(entry), 'utf8').digest('hex');
}

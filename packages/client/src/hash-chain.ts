import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/** The prev_hash of seq 1: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * An entry's hash by the README's "Hash chain specification": lowercase hex of
 * SHA-256(prev_hash as ASCII || UTF-8 of the RFC 8785 canonical JSON of the entry without `hash`).
 */
export function entryHash(entry: { prev_hash: string; hash?: string } & Record<string, unknown>): string {
  const { hash: _hash, ...rest } = entry;
  const canonical = canonicalize(rest);
  if (canonical === undefined) throw new TypeError('the entry has no canonical JSON form');
  return createHash('sha256').update(entry.prev_hash, 'ascii').update(canonical, 'utf8').digest('hex');
}

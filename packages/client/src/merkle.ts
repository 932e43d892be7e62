import { createHash } from 'node:crypto';

const sha256 = (...parts: Uint8Array[]) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};
const LEAF = Uint8Array.of(0);
const NODE = Uint8Array.of(1);

/** RFC 6962 leaf hash of an entry: SHA-256(0x00 || the 32 bytes of its hex `hash`). */
export const leafHash = (entryHashHex: string): Buffer => sha256(LEAF, Buffer.from(entryHashHex, 'hex'));

/**
 * The RFC 6962 Merkle tree hash of leaves added one at a time, in O(log n) memory: a stack of the
 * roots of perfect subtrees (sizes strictly decreasing), merged as they fill and folded right to left at the end.
 */
export function createMerkleAccumulator() {
  const stack: Array<{ size: number; hash: Buffer }> = [];
  let count = 0;
  return {
    /** Adds the leaf for an entry's hash. */
    add(entryHashHex: string): void {
      let top = { size: 1, hash: leafHash(entryHashHex) };
      while (stack.length > 0 && stack.at(-1)!.size === top.size) {
        const left = stack.pop()!;
        top = { size: left.size * 2, hash: sha256(NODE, left.hash, top.hash) };
      }
      stack.push(top);
      count += 1;
    },
    /** Leaves added so far. */
    size: () => count,
    /** The tree hash of the leaves so far (SHA-256 of nothing for none). */
    root(): Buffer {
      if (stack.length === 0) return sha256();
      let hash = stack.at(-1)!.hash;
      for (let i = stack.length - 2; i >= 0; i--) hash = sha256(NODE, stack[i]!.hash, hash);
      return hash;
    },
  };
}

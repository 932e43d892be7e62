import { createHash, hash } from 'node:crypto';

// One-shot crypto.hash over a small pooled buffer: a tree of a million leaves hashes two million
// times, and a Hash object per call left that much native garbage for the GC to find late.

/** RFC 6962 leaf hash: SHA-256(0x00 || entry hash bytes). */
export function leafHash(entryHashHex: string): Buffer {
  const input = Buffer.allocUnsafe(1 + entryHashHex.length / 2);
  input[0] = 0;
  input.write(entryHashHex, 1, 'hex');
  return hash('sha256', input, 'buffer');
}

/** RFC 6962 interior node: SHA-256(0x01 || left || right). */
export function nodeHash(left: Buffer, right: Buffer): Buffer {
  const input = Buffer.allocUnsafe(1 + left.length + right.length);
  input[0] = 1;
  left.copy(input, 1);
  right.copy(input, 1 + left.length);
  return hash('sha256', input, 'buffer');
}

/** The hash of the empty tree: SHA-256 of nothing. */
export const EMPTY_ROOT = createHash('sha256').digest();

/** Largest power of two strictly below n (n >= 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * A compact range: the roots of the perfect subtrees covering leaves [0, size), largest first
 * (one per set bit of size). It is all that is needed to extend a tree and to compute its root,
 * which is why the retention anchor stores it for the purged prefix.
 */
export interface CompactRange {
  size: number;
  nodes: Buffer[];
}

export const emptyRange = (): CompactRange => ({ size: 0, nodes: [] });

/** Appends leaf hashes to a compact range (mutates and returns it). */
export function extendRange(range: CompactRange, leaves: Iterable<Buffer>): CompactRange {
  for (const leaf of leaves) {
    let hash = leaf;
    // Each trailing 1 bit of the old size is a subtree that now has a sibling of equal size.
    for (let size = range.size; size & 1; size >>= 1) hash = nodeHash(range.nodes.pop()!, hash);
    range.nodes.push(hash);
    range.size += 1;
  }
  return range;
}

/** The root of the tree a compact range describes (RFC 6962 MTH). */
export function rangeRoot(range: CompactRange): Buffer {
  if (range.nodes.length === 0) return EMPTY_ROOT;
  let hash = range.nodes[range.nodes.length - 1]!;
  for (let i = range.nodes.length - 2; i >= 0; i--) hash = nodeHash(range.nodes[i]!, hash);
  return hash;
}

/** The [start, end) leaf interval of each node of a compact range of `size`, largest first. */
function rangeIntervals(size: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = 0;
  for (let bit = 2 ** Math.floor(Math.log2(Math.max(size, 1))); bit >= 1; bit /= 2) {
    if (Math.floor(size / bit) % 2 === 1) {
      out.push([start, start + bit]);
      start += bit;
    }
  }
  return out;
}

export class PurgedRangeError extends Error {}

/** Reads leaf hashes for leaf indexes [from, to) (leaf i is the entry with seq i + 1). */
export type LeafSource = (from: number, to: number) => Promise<Buffer[]>;

const LEAF_PAGE = 4096;

/**
 * Hashes of any subtree of an organization's tree, from stored leaves, and from the compact
 * range of the purged prefix below `prefix.size` (subtrees inside the purged prefix that are not
 * one of its compact nodes cannot be computed: PurgedRangeError).
 */
export function createTreeHasher(leaves: LeafSource, prefix: CompactRange = emptyRange()) {
  const purged = new Map(rangeIntervals(prefix.size).map(([a, b], i) => [`${a}:${b}`, prefix.nodes[i]!]));

  async function subtree(a: number, b: number): Promise<Buffer> {
    if (b <= prefix.size) {
      const node = purged.get(`${a}:${b}`);
      if (node) return node;
      if (b - a === 1) throw new PurgedRangeError(`leaf ${a} was removed by retention`);
    }
    if (a >= prefix.size) {
      const range = emptyRange();
      for (let at = a; at < b; at += LEAF_PAGE) extendRange(range, await leaves(at, Math.min(b, at + LEAF_PAGE)));
      if (range.size !== b - a) throw new Error(`expected ${b - a} leaves from ${a}, read ${range.size}`);
      return rangeRoot(range);
    }
    const k = splitPoint(b - a);
    return nodeHash(await subtree(a, a + k), await subtree(a + k, b));
  }

  /** MTH of the first n leaves. */
  async function root(n: number): Promise<Buffer> {
    return n === 0 ? EMPTY_ROOT : subtree(0, n);
  }

  /** RFC 6962 audit path for leaf m in the tree of size n, leaf to root. */
  async function inclusionProof(m: number, n: number): Promise<Buffer[]> {
    const path: Buffer[] = [];
    let a = 0;
    let b = n;
    const siblings: Array<[number, number]> = [];
    while (b - a > 1) {
      const k = splitPoint(b - a);
      if (m < a + k) {
        siblings.push([a + k, b]);
        b = a + k;
      } else {
        siblings.push([a, a + k]);
        a += k;
      }
    }
    for (const [x, y] of siblings.reverse()) path.push(await subtree(x, y));
    return path;
  }

  /** RFC 6962 consistency proof between tree sizes m and n (0 < m <= n). */
  async function consistencyProof(m: number, n: number): Promise<Buffer[]> {
    const proof: Buffer[] = [];
    async function sub(m: number, a: number, b: number, complete: boolean): Promise<void> {
      if (m === b - a) {
        if (!complete) proof.push(await subtree(a, b));
        return;
      }
      const k = splitPoint(b - a);
      if (m <= k) {
        await sub(m, a, a + k, complete);
        proof.push(await subtree(a + k, b));
      } else {
        await sub(m - k, a + k, b, false);
        proof.push(await subtree(a, a + k));
      }
    }
    if (m < n) await sub(m, 0, n, true);
    return proof;
  }

  /** The compact range of the first n leaves (what a checkpoint keeps to extend the tree later). */
  async function compactRange(n: number): Promise<CompactRange> {
    const nodes: Buffer[] = [];
    for (const [a, b] of rangeIntervals(n)) nodes.push(await subtree(a, b));
    return { size: n, nodes };
  }

  /** Extends a compact range with the stored leaves up to n: O(new leaves), not O(tree). */
  async function extendTo(range: CompactRange, n: number): Promise<CompactRange> {
    if (range.size < prefix.size && range.size < n) throw new PurgedRangeError(`leaves ${range.size}..${prefix.size - 1} were removed by retention`);
    const out: CompactRange = { size: range.size, nodes: [...range.nodes] };
    for (let at = out.size; at < n; at += LEAF_PAGE) {
      const page = await leaves(at, Math.min(n, at + LEAF_PAGE));
      if (page.length !== Math.min(n, at + LEAF_PAGE) - at) throw new Error(`expected ${Math.min(n, at + LEAF_PAGE) - at} leaves from ${at}, read ${page.length}`);
      extendRange(out, page);
    }
    return out;
  }

  return { root, inclusionProof, consistencyProof, compactRange, extendTo };
}

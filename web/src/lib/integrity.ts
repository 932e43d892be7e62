import canonicalize from 'canonicalize';
import type { Entry } from './types.ts';

const hex = (buffer: ArrayBuffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
const fromHex = (hexText: string) => new Uint8Array(hexText.match(/../g)!.map((h) => parseInt(h, 16)));
const fromB64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const toB64 = (data: Uint8Array) => btoa(String.fromCharCode(...data));
const sha256 = async (data: Uint8Array) => new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>));

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A copy of `root` with the value at the dot-separated `path` replaced, or undefined when it is not there. */
function replacedAt(root: unknown, keys: string[], value: (old: unknown) => string): Json | undefined {
  const [key, ...rest] = keys;
  if (!isObject(root) || !Object.hasOwn(root, key!)) return undefined;
  const child = rest.length === 0 ? value(root[key!]) : replacedAt(root[key!], rest, value);
  return child === undefined ? undefined : { ...root, [key!]: child };
}

/**
 * Recomputes an entry's hash in the browser (README, Hash chain specification): SHA-256(prev_hash ||
 * RFC 8785 JSON of the entry without hash), where under version 2 each personal field's value is
 * replaced by its commitment, SHA-256(salt hex || JCS(value)), or by the stored one of an erased field.
 */
export async function verifyEntryHash(entry: Entry): Promise<boolean> {
  const { hash, personal, ...rest } = entry;
  let form: Json | undefined = rest;
  if (rest.hash_version !== undefined) {
    for (const [path, field] of Object.entries(personal ?? {})) {
      const old = path.split('.').reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), form);
      const commitment = 'commitment' in field
        ? field.commitment
        : hex((await sha256(new TextEncoder().encode(field.salt + canonicalize(old)))).buffer as ArrayBuffer);
      form = replacedAt(form, path.split('.'), () => commitment);
      if (!form) return false;
    }
  }
  const input = new TextEncoder().encode(entry.prev_hash + canonicalize(form));
  return hex((await sha256(input)).buffer as ArrayBuffer) === hash;
}

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
};

/**
 * RFC 9162 section 2.1.3.2: checks that the entry with hash `entryHashHex` is leaf `index` of the
 * tree of `treeSize` leaves whose root is `rootB64`, given the audit path (base64 node hashes).
 */
export async function verifyInclusion(entryHashHex: string, index: number, treeSize: number, path: string[], rootB64: string): Promise<boolean> {
  if (index >= treeSize) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r = await sha256(concat(new Uint8Array([0]), fromHex(entryHashHex)));
  for (const p of path.map(fromB64)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(concat(new Uint8Array([1]), p, r));
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = await sha256(concat(new Uint8Array([1]), r, p));
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn === 0 && toB64(r) === rootB64;
}

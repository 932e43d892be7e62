import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';

/** A checkpoint's signed body (C2SP tlog-checkpoint): origin, tree size, root hash. */
export interface Checkpoint {
  origin: string;
  treeSize: number;
  rootHash: Buffer;
}

/** A public key as PEM text, a KeyObject, or a C2SP verifier key (`auditum+<key id>+<base64(0x01 || key)>`). */
export type PublicKeyInput = string | KeyObject;

const ED25519 = 0x01;
/** The SPKI DER prefix of an Ed25519 public key (RFC 8410), before its 32 bytes. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** The Ed25519 key of `input`. */
export function toPublicKey(input: PublicKeyInput): KeyObject {
  if (typeof input !== 'string') return input.type === 'public' ? input : createPublicKey(input);
  const verifier = /^[^+\s]+\+[0-9a-f]{8}\+([A-Za-z0-9+/=]+)$/.exec(input.trim());
  if (!verifier) return createPublicKey(input);
  const blob = Buffer.from(verifier[1]!, 'base64');
  if (blob.length !== 33 || blob[0] !== ED25519) throw new TypeError('the verifier key is not an Ed25519 key');
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, blob.subarray(1)]), format: 'der', type: 'spki' });
}

/** Key id: the first 4 bytes of SHA-256(name || 0x0A || 0x01 || the 32-byte public key). */
export function keyIdOf(name: string, key: KeyObject): Buffer {
  const raw = key.export({ format: 'der', type: 'spki' }).subarray(-32);
  const hash = createHash('sha256').update(`${name}\n`, 'utf8').update(Uint8Array.of(ED25519)).update(raw);
  return hash.digest().subarray(0, 4);
}

/** A checkpoint note, read: its checkpoint, the signed body and the signature lines. */
export interface ParsedNote {
  checkpoint: Checkpoint;
  body: string;
  signatures: string[];
}

/** A note's checkpoint, or the reason it cannot be read. */
export function parseCheckpoint(note: string): ParsedNote | { error: string } {
  const split = note.indexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) {
    return { error: 'the checkpoint is not a signed note (no blank line before its signatures)' };
  }
  const body = note.slice(0, split + 1);
  const [origin, size, root] = body.slice(0, -1).split('\n');
  if (!origin || !size || !root) return { error: 'the checkpoint needs an origin, a tree size and a root hash' };
  if (!/^(0|[1-9]\d*)$/.test(size)) return { error: `the checkpoint's tree size "${size}" is not a number` };
  const rootHash = Buffer.from(root, 'base64');
  if (rootHash.length !== 32 || rootHash.toString('base64') !== root) {
    return { error: "the checkpoint's root is not 32 bytes of base64" };
  }
  const signatures = note.slice(split + 2, -1).split('\n');
  return { checkpoint: { origin, treeSize: Number(size), rootHash }, body, signatures };
}

/** True when one signature line (`— <name> base64(key id || signature)`) verifies with `key`. */
export function signedBy(body: string, signatures: string[], key: KeyObject): boolean {
  return signatures.some((line) => {
    const match = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!match) return false;
    const blob = Buffer.from(match[2]!, 'base64');
    if (blob.length !== 68 || !blob.subarray(0, 4).equals(keyIdOf(match[1]!, key))) return false;
    return verify(null, Buffer.from(body, 'utf8'), key, blob.subarray(4));
  });
}

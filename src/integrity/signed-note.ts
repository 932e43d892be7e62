import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/**
 * C2SP signed notes (https://c2sp.org/signed-note) carrying C2SP checkpoints
 * (https://c2sp.org/tlog-checkpoint), Ed25519 only. Pure functions: the offline verifier
 * uses exactly these, with no database.
 */

const ED25519_ALG = 0x01;

/** Raw 32-byte Ed25519 public key of a key object. */
export function rawPublicKey(key: KeyObject): Buffer {
  return (key.type === 'public' ? key : createPublicKey(key)).export({ format: 'der', type: 'spki' }).subarray(-32);
}

/** Key ID: the first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key). */
export function keyId(name: string, publicKey: KeyObject): Buffer {
  return createHash('sha256').update(`${name}\n`, 'utf8').update(Buffer.from([ED25519_ALG])).update(rawPublicKey(publicKey)).digest().subarray(0, 4);
}

/** The verifier key string: `<name>+<hex key id>+<base64(0x01 || public key)>`. */
export function verifierKey(name: string, publicKey: KeyObject): string {
  return `${name}+${keyId(name, publicKey).toString('hex')}+${Buffer.concat([Buffer.from([ED25519_ALG]), rawPublicKey(publicKey)]).toString('base64')}`;
}

export interface Checkpoint {
  origin: string;
  treeSize: number;
  rootHash: Buffer;
}

/** The checkpoint body: origin, tree size and base64 root hash, each line ending in a newline. */
export function checkpointBody(cp: Checkpoint): string {
  return `${cp.origin}\n${cp.treeSize}\n${cp.rootHash.toString('base64')}\n`;
}

/** Signs a checkpoint body into a complete note with one signature line. */
export function signCheckpoint(cp: Checkpoint, name: string, privateKey: KeyObject): string {
  const body = checkpointBody(cp);
  const signature = sign(null, Buffer.from(body, 'utf8'), privateKey);
  const id = keyId(name, createPublicKey(privateKey));
  return `${body}\n\u2014 ${name} ${Buffer.concat([id, signature]).toString('base64')}\n`;
}

export interface ParsedNote {
  checkpoint: Checkpoint;
  body: string;
  signatures: Array<{ name: string; keyId: Buffer; signature: Buffer }>;
}

/** Parses a checkpoint note; throws an Error naming what is malformed. */
export function parseCheckpoint(note: string): ParsedNote {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw new Error('checkpoint is not a signed note (no blank line before the signatures)');
  const body = note.slice(0, split + 1);
  const lines = body.slice(0, -1).split('\n');
  if (lines.length < 3) throw new Error('checkpoint body needs an origin, a tree size and a root hash');
  const [origin, size, root] = lines as [string, string, string];
  if (!/^(0|[1-9][0-9]*)$/.test(size)) throw new Error(`checkpoint tree size "${size}" is not a decimal number`);
  const rootHash = Buffer.from(root, 'base64');
  if (rootHash.length !== 32 || rootHash.toString('base64') !== root) throw new Error('checkpoint root hash is not 32 bytes of base64');
  const signatures = note
    .slice(split + 2, -1)
    .split('\n')
    .map((line) => {
      const match = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
      if (!match) throw new Error(`malformed signature line "${line}"`);
      const blob = Buffer.from(match[2]!, 'base64');
      if (blob.length < 5) throw new Error(`signature line for ${match[1]} is too short`);
      return { name: match[1]!, keyId: blob.subarray(0, 4), signature: blob.subarray(4) };
    });
  return { checkpoint: { origin, treeSize: Number(size), rootHash }, body, signatures };
}

/** True when the note carries a valid signature by `publicKey` under `name` (or any name). */
export function verifyNote(parsed: ParsedNote, publicKey: KeyObject, name?: string): boolean {
  return parsed.signatures.some((s) => {
    if (name !== undefined && s.name !== name) return false;
    if (!keyId(s.name, publicKey).equals(s.keyId)) return false;
    return verify(null, Buffer.from(parsed.body, 'utf8'), publicKey, s.signature);
  });
}

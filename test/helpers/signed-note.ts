import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';

/**
 * Independent checks of a checkpoint note (C2SP signed note): written from the README's
 * description, importing nothing from src/.
 */
function split(note: string): { body: string; keyId: string; signature: Buffer } {
  const [body, sigLine] = note.split('\n\n') as [string, string];
  const match = /^\u2014 auditum ([A-Za-z0-9+/=]+)\n$/.exec(sigLine ?? '');
  if (!match) throw new Error(`no auditum signature line in ${JSON.stringify(note)}`);
  const blob = Buffer.from(match[1]!, 'base64');
  return { body: `${body}\n`, keyId: blob.subarray(0, 4).toString('hex'), signature: blob.subarray(4) };
}

/** The hex key id on the note's signature line. */
export const noteKeyId = (note: string): string => split(note).keyId;

/** Whether the note's signature verifies with the public key `pem`. */
export function noteVerifies(note: string, pem: string): boolean {
  const { body, signature } = split(note);
  return verify(null, Buffer.from(body), createPublicKey(pem), signature);
}

/** Key id = the first 4 bytes of SHA-256("auditum" || 0x0A || 0x01 || the 32-byte Ed25519 public key). */
export function expectedKeyId(publicKey: KeyObject): string {
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  return createHash('sha256').update('auditum\n').update(Buffer.from([1])).update(raw).digest().subarray(0, 4).toString('hex');
}

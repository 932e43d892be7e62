/** Bytes of a key-encryption key. */
export const KEK_BYTES = 32;

/**
 * The 32 bytes a key written as text stands for: 64 hex digits, or base64 (standard or URL-safe,
 * padding optional), surrounding whitespace ignored. Undefined for anything else.
 */
export function decodeKeyText(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (/^[0-9a-f]{64}$/i.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) return undefined;
  const bytes = Buffer.from(trimmed, 'base64');
  return bytes.length === KEK_BYTES ? bytes : undefined;
}

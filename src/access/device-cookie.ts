import { createHmac, timingSafeEqual } from 'node:crypto';
import { randomToken, sha256 } from './secrets.ts';

/** The cookie that marks a browser someone has signed in from. */
export const DEVICE_COOKIE = 'auditum_device';

/**
 * Device cookies: `<issued at, base36 seconds>.<random id>.<HMAC>` where the HMAC binds the id and time
 * to one user, under a key derived from the token-signing key. Nothing is stored: the cookie proves itself,
 * so it survives restarts and works on every server that has the key. It only ever exempts sign-ins from
 * lockouts; it never signs anyone in.
 */
export function createDeviceCookies({ signingKey, ttlMs }: { signingKey: Uint8Array; ttlMs: number }) {
  const key = createHmac('sha256', signingKey).update('auditum-device-cookie-v1').digest();
  const mac = (userId: string, issued: string, id: string) =>
    createHmac('sha256', key).update(`${userId}\n${issued}\n${id}`).digest();

  /** A new device cookie value for `userId`. */
  function issue(userId: string, now = Date.now()): string {
    const issued = Math.floor(now / 1000).toString(36);
    const id = randomToken(18);
    return `${issued}.${id}.${mac(userId, issued, id).toString('base64url')}`;
  }

  /** The device's id (a digest, safe to keep as a key) when `value` is a valid, unexpired cookie of `userId`. */
  function verify(value: string | undefined, userId: string, now = Date.now()): string | undefined {
    const parts = value?.split('.');
    if (!parts || parts.length !== 3 || !/^[0-9a-z]{1,10}$/.test(parts[0]!)) return undefined;
    const [issued, id, presented] = parts as [string, string, string];
    const age = now - parseInt(issued, 36) * 1000;
    if (age < -60_000 || age > ttlMs) return undefined;
    const expected = mac(userId, issued, id);
    const given = Buffer.from(presented, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    return sha256(`auditum-device:${id}`);
  }

  return { issue, verify, ttlMs };
}

export type DeviceCookies = ReturnType<typeof createDeviceCookies>;

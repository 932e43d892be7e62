/** Stands for the part of a URL that is not shown. */
export const URL_MASK = '…';

/**
 * `https://hooks.example.com/…`: scheme and host (with port) only, for audit metadata and views of a
 * URL whose path or query may hold a secret.
 */
export function maskedUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}/${URL_MASK}`;
}

/** Whether `url` is a masked URL as maskedUrl writes it (its path only the mark, however encoded). */
export function isMaskedUrl(url: string): boolean {
  const parsed = new URL(url);
  return parsed.pathname === `/${encodeURIComponent(URL_MASK)}` && !parsed.search && !parsed.hash;
}

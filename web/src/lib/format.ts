import type { Result } from './types.ts';

const parts = { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', second: '2-digit', timeZoneName: 'short' } as const;
const local = new Intl.DateTimeFormat(undefined, parts);
const localYear = new Intl.DateTimeFormat(undefined, { ...parts, year: 'numeric' });
const localDate = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const localDateYear = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', year: 'numeric' });
const localTime = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit', second: '2-digit', timeZoneName: 'short' });
const localFull = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'long' });

const thisYear = (date: Date) => date.getFullYear() === new Date().getFullYear();

/** "Feb 13, 10:28:22 AM EST" in the viewer's time zone, with the year when it is not this year. */
export const formatLocal = (iso: string) => {
  const date = new Date(iso);
  return (thisYear(date) ? local : localYear).format(date);
};
/** The date and the time of day apart (a table cell shows them on two lines). */
export const formatLocalParts = (iso: string) => {
  const date = new Date(iso);
  return { date: (thisYear(date) ? localDate : localDateYear).format(date), time: localTime.format(date) };
};
/** A span between two instants: one time when both read the same, the date once when they share it. */
export function formatLocalSpan(startIso: string, endIso: string): string {
  const start = formatLocal(startIso);
  const end = formatLocal(endIso);
  if (start === end) return start;
  const a = formatLocalParts(startIso);
  const b = formatLocalParts(endIso);
  return a.date === b.date ? `${a.date}, ${a.time} – ${b.time}` : `${start} – ${end}`;
}
export const formatLocalFull = (iso: string) => localFull.format(new Date(iso));
/** Exact UTC, for hover. */
export const formatUtc = (iso: string) => `${iso.replace('T', ' ').replace('Z', '')} UTC`;

/** Categories are told apart by their name, not by colour: colour is kept for results that went wrong. */
export const categoryColor = (_category: string) => 'gray';

export const RESULT_LABELS: Record<Result, string> = { success: 'Success', failed: 'Failed', denied: 'Denied', warning: 'Warning', approved: 'Approved', allowed: 'Allowed' };
/** Red for failed and denied only; a warning stands out without reading as a failure. */
export const RESULT_COLORS: Record<Result, string> = { success: 'green', failed: 'red', denied: 'red', warning: 'yellow', approved: 'teal', allowed: 'teal' };

export const ACTOR_TAGS: Record<string, string> = { api_key: 'API key', oauth2_client: 'OAuth2 client', system: 'System' };

export const formatCount = (count: { value: number; capped: boolean }) =>
  `${count.value.toLocaleString()}${count.capped ? '+' : ''} ${count.value === 1 && !count.capped ? 'event' : 'events'}`;

const NETWORK_WORDS: Array<[RegExp, string]> = [
  [/ECONNREFUSED/, 'The receiver refused the connection: nothing is listening at that address and port.'],
  [/ENOTFOUND|EAI_AGAIN/, 'The host name could not be found.'],
  [/ETIMEDOUT|timed? ?out|aborted/i, 'The receiver did not answer in time.'],
  [/ECONNRESET|socket hang up/i, 'The receiver closed the connection before answering.'],
  [/certificate|self[- ]signed|CERT_/i, "The receiver's TLS certificate is not trusted."],
];

/** A delivery error in plain words, with the technical message kept beside it. */
export function plainDeliveryError(message: string | null | undefined): string {
  if (!message) return '';
  const words = NETWORK_WORDS.find(([pattern]) => pattern.test(message))?.[1];
  return words ? `${words} (${message})` : message;
}

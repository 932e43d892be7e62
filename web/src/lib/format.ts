import type { Result } from './types.ts';

const local = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', second: '2-digit' });
const localFull = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** "Feb 13, 10:28:22 AM" in the viewer's time zone. */
export const formatLocal = (iso: string) => local.format(new Date(iso));
export const formatLocalFull = (iso: string) => localFull.format(new Date(iso));
/** Exact UTC, for hover. */
export const formatUtc = (iso: string) => `${iso.replace('T', ' ').replace('Z', '')} UTC`;

export const CATEGORY_COLORS: Record<string, string> = {
  security: 'red',
  user: 'blue',
  configuration: 'violet',
  data: 'teal',
  system: 'gray',
  agent: 'cyan',
  policy: 'orange',
};
export const categoryColor = (category: string) => CATEGORY_COLORS[category] ?? 'indigo';

export const RESULT_LABELS: Record<Result, string> = { success: 'Success', failed: 'Failed', denied: 'Denied', warning: 'Warning', approved: 'Approved', allowed: 'Allowed' };
export const RESULT_COLORS: Record<Result, string> = { success: 'green', failed: 'red', denied: 'orange', warning: 'yellow', approved: 'teal', allowed: 'lime' };

export const ACTOR_TAGS: Record<string, string> = { api_key: 'API key', oauth2_client: 'OAuth2 client', system: 'System' };

export const formatCount = (count: { value: number; capped: boolean }) =>
  `${count.value.toLocaleString()}${count.capped ? '+' : ''} ${count.value === 1 && !count.capped ? 'event' : 'events'}`;

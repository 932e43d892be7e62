/** The Audit Logs filters, kept in the URL so a filtered view can be shared and survives reload. */
export type RangeKey = '24h' | '7d' | '30d' | 'this_month' | 'custom';

export interface Filters {
  types: string[];
  actor: string;
  target: string;
  project: string;
  ip: string;
  results: string[];
  range: RangeKey;
  /** Custom range bounds, ISO strings (UTC). */
  from: string;
  to: string;
  q: string;
}

export const RANGE_LABELS: Record<RangeKey, string> = {
  '24h': 'Last 24 hours',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
  this_month: 'This month',
  custom: 'Custom range',
};

export const EMPTY_FILTERS: Filters = { types: [], actor: '', target: '', project: '', ip: '', results: [], range: '24h', from: '', to: '', q: '' };

export function readFilters(params: URLSearchParams): Filters {
  const range = params.get('range') as RangeKey | null;
  return {
    types: params.getAll('type'),
    actor: params.get('actor') ?? '',
    target: params.get('target') ?? '',
    project: params.get('project') ?? '',
    ip: params.get('ip') ?? '',
    results: params.getAll('result'),
    range: range && range in RANGE_LABELS ? range : '24h',
    from: params.get('from') ?? '',
    to: params.get('to') ?? '',
    q: params.get('q') ?? '',
  };
}

/** URL parameters for the page (defaults left out). */
export function writeFilters(filters: Filters): URLSearchParams {
  const params = new URLSearchParams();
  for (const t of filters.types) params.append('type', t);
  if (filters.actor) params.set('actor', filters.actor);
  if (filters.target) params.set('target', filters.target);
  if (filters.project) params.set('project', filters.project);
  if (filters.ip) params.set('ip', filters.ip);
  for (const r of filters.results) params.append('result', r);
  if (filters.range !== '24h') params.set('range', filters.range);
  if (filters.range === 'custom') {
    if (filters.from) params.set('from', filters.from);
    if (filters.to) params.set('to', filters.to);
  }
  if (filters.q) params.set('q', filters.q);
  return params;
}

/** Query parameters for GET /v1/events. "This month" starts at the viewer's local month start. */
export function apiQuery(filters: Filters, now = new Date()): URLSearchParams {
  const params = new URLSearchParams();
  for (const t of filters.types) params.append('type', t);
  if (filters.actor.trim()) params.set('actor', filters.actor.trim());
  const target = filters.target.trim();
  if (target) {
    const colon = target.indexOf(':');
    if (colon > 0) {
      params.set('target_type', target.slice(0, colon));
      params.set('target_id', target.slice(colon + 1));
    } else params.set('target_id', target);
  }
  if (filters.project.trim()) params.set('project', filters.project.trim());
  if (filters.ip.trim()) params.set('ip', filters.ip.trim());
  for (const r of filters.results) params.append('result', r);
  if (filters.range === 'this_month') params.set('from', new Date(now.getFullYear(), now.getMonth(), 1).toISOString());
  else if (filters.range === 'custom') {
    if (filters.from) params.set('from', filters.from);
    if (filters.to) params.set('to', filters.to);
  } else params.set('range', filters.range);
  if (filters.q.trim()) params.set('q', filters.q.trim());
  return params;
}

const RANGE_MS: Partial<Record<RangeKey, number>> = { '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 };
const day = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', year: 'numeric' });

/** The range's bounds as dates ("Nov 25, 2026 – Dec 2, 2026"), resolved now for relative ranges. */
export function rangeDates(filters: Filters, now = new Date()): string {
  const span = RANGE_MS[filters.range];
  const from = span ? new Date(now.getTime() - span) : filters.range === 'this_month' ? new Date(now.getFullYear(), now.getMonth(), 1) : filters.from ? new Date(filters.from) : null;
  const to = filters.range === 'custom' && filters.to ? new Date(filters.to) : now;
  if (!from) return `until ${day.format(to)}`;
  return day.formatRange(from, to);
}

/** A name saying what an export holds: "Audit log, Nov 25 – Dec 2, 2026, login.failure, failed, search "x"". */
export function describeExport(filters: Filters, now = new Date()): string {
  const parts = ['Audit log', rangeDates(filters, now)];
  if (filters.types.length) parts.push(filters.types.join(' + '));
  if (filters.results.length) parts.push(filters.results.join(' + '));
  for (const [label, value] of [['actor', filters.actor], ['target', filters.target], ['project', filters.project], ['IP', filters.ip]]) {
    if (value!.trim()) parts.push(`${label} ${value!.trim()}`);
  }
  if (filters.q.trim()) parts.push(`search "${filters.q.trim()}"`);
  const name = parts.join(', ');
  return name.length > 200 ? `${name.slice(0, 199)}…` : name;
}

/** Human descriptions of the active filters, for the empty state. */
export function describeFilters(filters: Filters): string[] {
  const out: string[] = [];
  if (filters.types.length) out.push(`Event types: ${filters.types.join(', ')}`);
  if (filters.actor) out.push(`Actor: ${filters.actor}`);
  if (filters.target) out.push(`Target: ${filters.target}`);
  if (filters.project) out.push(`Project: ${filters.project}`);
  if (filters.ip) out.push(`IP address: ${filters.ip}`);
  if (filters.results.length) out.push(`Result: ${filters.results.join(', ')}`);
  out.push(`Time range: ${RANGE_LABELS[filters.range]}`);
  if (filters.q) out.push(`Search: "${filters.q}"`);
  return out;
}

export const hasFilters = (filters: Filters) => writeFilters(filters).toString() !== '';

/** How many filters are in force besides the time range (the count on the collapsed filter panel). */
export function activeFilterCount(filters: Filters): number {
  const text = [filters.actor, filters.target, filters.project, filters.ip, filters.q].filter((v) => v.trim()).length;
  return text + (filters.types.length ? 1 : 0) + (filters.results.length ? 1 : 0);
}

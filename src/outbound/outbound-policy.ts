import net from 'node:net';
import {
  canonicalAddress,
  createRangeSet,
  parseRange,
  PROTECTED_RANGES,
  rangeText,
  rangeWithin,
  RESTRICTED_RANGES,
  withNat64,
  type Range,
} from './outbound-ranges.ts';

/** Named in every refusal. Written out here rather than taken from envNames: config.ts imports this module. */
const SETTINGS = 'AUDITUM_OUTBOUND_ALLOW/DENY';

/** A host name entry: `name` itself, or with `*.` every name under it. */
interface HostEntry {
  name: string;
  subdomains: boolean;
}

type Entry = { kind: 'range'; range: Range } | { kind: 'host'; host: HostEntry };

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

function parseHost(text: string): HostEntry | string {
  const subdomains = text.startsWith('*.');
  const raw = subdomains ? text.slice(2) : text;
  const problem = `"${text}" is not a host name, IP address or CIDR range`;
  let hostname: string;
  try {
    const url = new URL(`http://${raw}/`);
    if (url.port || url.username || url.password || url.pathname !== '/' || url.search || url.hash) return problem;
    hostname = url.hostname.replace(/\.$/, '');
  } catch {
    return problem;
  }
  // The URL parser reads 2130706433 or 0x7f000001 as 127.0.0.1, so such a "name" would never match.
  const numeric = net.isIP(hostname.replace(/^\[(.*)\]$/, '$1')) !== 0;
  if (numeric) return `"${text}" is a numeric form of ${hostname}; write that instead`;
  if (hostname.length > 253 || !hostname.split('.').every((label) => LABEL.test(label))) return problem;
  return { name: hostname, subdomains };
}

function parseEntry(text: string): Entry | string {
  const address = text.split('/')[0]!.replace(/^\[(.*)\]$/, '$1');
  if (net.isIP(address)) {
    const range = parseRange(text);
    return typeof range === 'string' ? range : { kind: 'range', range };
  }
  if (text.includes('/')) return `"${text}" is not a CIDR range`;
  const host = parseHost(text);
  return typeof host === 'string' ? host : { kind: 'host', host };
}

const entryText = (entry: Entry) =>
  entry.kind === 'range' ? rangeText(entry.range) : `${entry.host.subdomains ? '*.' : ''}${entry.host.name}`;

/**
 * Reads a comma-separated list (or a list) of CIDR ranges, addresses and host names into their
 * normal form (`127.0.0.1/32`, `collector.internal`, `*.corp.example`), with a message per bad entry.
 */
export function normalizeOutboundList(value: string | readonly string[]): { entries: string[]; problems: string[] } {
  const items = (typeof value === 'string' ? value.split(',') : value).map((item) => item.trim()).filter(Boolean);
  const entries: string[] = [];
  const problems: string[] = [];
  for (const item of items) {
    const entry = parseEntry(item);
    if (typeof entry === 'string') problems.push(entry);
    else entries.push(entryText(entry));
  }
  return { entries, problems };
}

function parseAll(list: readonly string[]): { ranges: Range[]; hosts: HostEntry[] } {
  const ranges: Range[] = [];
  const hosts: HostEntry[] = [];
  for (const text of list) {
    const entry = parseEntry(text);
    if (typeof entry === 'string') throw new Error(`outbound policy: ${entry}`);
    if (entry.kind === 'range') ranges.push(entry.range);
    else hosts.push(entry.host);
  }
  return { ranges: withNat64(ranges), hosts };
}

function hostMatcher(hosts: HostEntry[]) {
  return (hostname: string) => {
    const name = hostname.toLowerCase().replace(/\.$/, '');
    return hosts.some((host) => (host.subdomains ? name.endsWith(`.${host.name}`) : name === host.name));
  };
}

/**
 * Decides which addresses Auditum may connect to for outbound requests (OTLP export, alert
 * webhooks). In order: a deny entry refuses; link-local and metadata addresses are refused unless
 * an allow entry lying inside their range names them; loopback, private and other special ranges
 * are refused unless an allow entry (range, or the host name being connected to) covers them;
 * anything else is allowed.
 */
export function createOutboundPolicy(lists: { allow: readonly string[]; deny: readonly string[] }) {
  const allow = parseAll(lists.allow);
  const deny = parseAll(lists.deny);
  const allowed = { ranges: createRangeSet(allow.ranges), host: hostMatcher(allow.hosts) };
  const denied = { ranges: createRangeSet(deny.ranges), host: hostMatcher(deny.hosts) };
  const restricted = createRangeSet(withNat64(RESTRICTED_RANGES.map((text) => parseRange(text) as Range)));
  const protectedRanges = withNat64(PROTECTED_RANGES.map((text) => parseRange(text) as Range)).map((range) => ({
    range: createRangeSet([range]),
    openedBy: createRangeSet(allow.ranges.filter((entry) => rangeWithin(entry, range))),
  }));

  const hostRefusal = (hostname: string) => `host ${hostname} is not allowed by the outbound policy (${SETTINGS})`;

  /** Why connecting to `address` (resolved from `hostname`, if any) is refused; undefined when it is allowed. */
  function refusal(address: string, hostname?: string): string | undefined {
    const ip = canonicalAddress(address);
    const shown = ip === address ? address : `${address} (${ip})`;
    const refused = `address ${shown} is not allowed by the outbound policy (${SETTINGS})`;
    if (hostname && denied.host(hostname)) return hostRefusal(hostname);
    if (denied.ranges.has(ip)) return refused;
    if (protectedRanges.some((p) => p.range.has(ip) && !p.openedBy.has(ip))) return refused;
    if (restricted.has(ip) && !allowed.ranges.has(ip) && !(hostname && allowed.host(hostname))) return refused;
    return undefined;
  }

  /**
   * What can be said about a URL before any name is resolved: a literal address is checked in
   * full, a host name only against the deny entries (its addresses are checked on each connection).
   */
  function urlRefusal(url: URL): string | undefined {
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (net.isIP(host)) return refusal(host);
    return denied.host(host) ? hostRefusal(host) : undefined;
  }

  return { refusal, urlRefusal };
}

export type OutboundPolicy = ReturnType<typeof createOutboundPolicy>;

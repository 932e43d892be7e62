import net from 'node:net';

export type Family = 'ipv4' | 'ipv6';

/** A CIDR range, its address in canonical form. */
export interface Range {
  address: string;
  prefix: number;
  family: Family;
}

/**
 * Refused unless an allow entry covers them: addresses that lead back into the host or its
 * networks rather than to a service on the internet.
 */
export const RESTRICTED_RANGES = [
  '0.0.0.0/8', // "this network": 0.0.0.0 reaches the local host on Linux
  '10.0.0.0/8',
  '100.64.0.0/10', // shared address space (carrier-grade NAT)
  '127.0.0.0/8',
  '172.16.0.0/12',
  '192.0.0.0/24', // IETF protocol assignments
  '192.168.0.0/16',
  '198.18.0.0/15', // benchmarking
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, and 255.255.255.255 (broadcast)
  '::/128',
  '::1/128',
  '::/96', // IPv4-compatible (deprecated)
  'fc00::/7', // unique local
  'fec0::/10', // site-local (deprecated)
  'ff00::/8', // multicast
];

/**
 * Refused even when a broad allow entry covers them; only an allow entry lying inside one of these
 * ranges opens (that part of) it. Link-local addresses and the cloud metadata services.
 */
export const PROTECTED_RANGES = [
  '169.254.0.0/16',
  'fe80::/10',
  '169.254.169.254/32', // AWS, GCP, Azure, OCI ... instance metadata
  '100.100.100.200/32', // Alibaba Cloud metadata
  'fd00:ec2::254/128', // AWS instance metadata over IPv6
];

/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address it is; any other address canonical. */
export function canonicalAddress(address: string): string {
  const bare = address.replace(/^\[(.*)\]$/, '$1');
  const family = net.isIP(bare);
  if (family === 0) throw new Error(`not an IP address: ${address}`);
  if (family === 4) return bare;
  const canonical = new net.SocketAddress({ address: bare, family: 'ipv6' }).address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(canonical);
  return mapped ? mapped[1]! : canonical;
}

/** Parses `address[/prefix]` (IPv6 optionally in brackets); an error message if it is not one. */
export function parseRange(text: string): Range | string {
  const [rawAddress = '', rawPrefix, ...rest] = text.split('/');
  const bare = rawAddress.replace(/^\[(.*)\]$/, '$1');
  const version = net.isIP(bare);
  if (version === 0 || rest.length > 0) return `"${text}" is not an IP address or CIDR range`;
  const max = version === 4 ? 32 : 128;
  const prefix = rawPrefix === undefined ? max : /^\d{1,3}$/.test(rawPrefix) ? Number(rawPrefix) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return `"${text}" has a prefix length outside 0-${max}`;
  const address = canonicalAddress(bare);
  // ::ffff:a.b.c.d/n is the IPv4 range a.b.c.d/(n-96): checked against IPv4 addresses like them.
  if (version === 6 && net.isIPv4(address)) {
    if (prefix >= 96) return { address, prefix: prefix - 96, family: 'ipv4' };
    return { address: bare, prefix, family: 'ipv6' };
  }
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** The range as `address/prefix`. */
export const rangeText = (range: Range) => `${range.address}/${range.prefix}`;

/**
 * Adds, for every IPv4 range, the same range behind the NAT64 well-known prefix (64:ff9b::/96),
 * which an IPv6-only host's gateway translates back to that IPv4 address.
 */
export function withNat64(ranges: Range[]): Range[] {
  const translated = ranges
    .filter((range) => range.family === 'ipv4')
    .map((range): Range => ({ address: `64:ff9b::${range.address}`, prefix: 96 + range.prefix, family: 'ipv6' }));
  return [...ranges, ...translated];
}

/** Per-family CIDR sets (node:net BlockList): an address is only ever checked against its own family. */
export function createRangeSet(ranges: Range[]) {
  const lists: Record<Family, net.BlockList> = { ipv4: new net.BlockList(), ipv6: new net.BlockList() };
  for (const range of ranges) lists[range.family].addSubnet(range.address, range.prefix, range.family);
  return {
    /** Whether `address` (canonical, see canonicalAddress) lies in one of the ranges. */
    has(address: string): boolean {
      const family: Family = net.isIPv4(address) ? 'ipv4' : 'ipv6';
      return lists[family].check(address, family);
    },
  };
}

export type RangeSet = ReturnType<typeof createRangeSet>;

/** Whether `inner` lies wholly inside `outer`. */
export function rangeWithin(inner: Range, outer: Range): boolean {
  return inner.family === outer.family && inner.prefix >= outer.prefix && createRangeSet([outer]).has(inner.address);
}

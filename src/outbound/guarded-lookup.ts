import dns from 'node:dns';
import type net from 'node:net';
import { OutboundRefusedError } from '../errors.ts';
import type { OutboundPolicy } from './outbound-policy.ts';

/** dns.lookup with `all: true`, the shape a test can stand in for. */
export type ResolveAll = (
  hostname: string,
  options: dns.LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void,
) => void;

/**
 * A `lookup` for node:net connections that resolves every address of the name and fails with
 * OutboundRefusedError, before any connection is made, if the policy refuses any one of them
 * (so a name cannot mix an allowed address with a refused one). Called for every new connection;
 * node:net skips it for literal IP hosts, which the caller checks itself.
 */
export function guardedLookup(policy: OutboundPolicy, resolve: ResolveAll = dns.lookup): net.LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { family: options.family, hints: options.hints, all: true }, (error, addresses) => {
      if (error) return callback(error, '');
      if (addresses.length === 0) {
        return callback(Object.assign(new Error(`no address found for ${hostname}`), { code: 'ENOTFOUND' }), '');
      }
      for (const { address } of addresses) {
        const refusal = policy.refusal(address, hostname);
        if (refusal) return callback(new OutboundRefusedError(refusal), '');
      }
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Guards outgoing requests to URLs that tenants configure (webhooks) against server-side request
 * forgery. The check runs on the address that is actually connected to, after DNS resolution, so a
 * hostname that resolves (or re-resolves) to an internal address is refused too.
 */
export interface NetworkPolicy {
  allowLoopback: boolean;
  allowPrivateNetworks: boolean;
}

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addSubnet('0.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');
loopback.addAddress('::', 'ipv6');

const privateNetworks = new BlockList();
for (const [net, bits] of [
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['169.254.0.0', 16], // link-local, including cloud metadata services
  ['192.0.0.0', 24],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved
] as const) {
  privateNetworks.addSubnet(net, bits, 'ipv4');
}
privateNetworks.addSubnet('fc00::', 7, 'ipv6'); // unique local
privateNetworks.addSubnet('fe80::', 10, 'ipv6'); // link-local
privateNetworks.addSubnet('ff00::', 8, 'ipv6'); // multicast
// Prefixes that embed an IPv4 address, which could be an internal one.
privateNetworks.addSubnet('64:ff9b::', 96, 'ipv6'); // NAT64
privateNetworks.addSubnet('2002::', 16, 'ipv6'); // 6to4

/** Why an address may not be contacted, or undefined when it may. */
export function refusalReason(address: string, policy: NetworkPolicy): string | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const ip = mapped ?? address;
  const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
  if (!policy.allowLoopback && loopback.check(ip, family)) {
    return `${ip} is a loopback address (set SIGIL_WEBHOOK_ALLOW_LOOPBACK=true to allow it)`;
  }
  if (!policy.allowPrivateNetworks && privateNetworks.check(ip, family)) {
    return `${ip} is a private or reserved address (set SIGIL_WEBHOOK_ALLOW_PRIVATE_NETWORKS=true to allow it)`;
  }
  return undefined;
}

export class RefusedAddressError extends Error {
  readonly code = 'ERR_SIGIL_REFUSED_ADDRESS';
}

/** A DNS lookup for http.request that fails when any resolved address is refused by the policy. */
export function guardedLookup(policy: NetworkPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const refused = addresses.map((a) => refusalReason(a.address, policy)).find(Boolean);
      if (refused) return callback(new RefusedAddressError(`${hostname} resolves to ${refused}`), '', 0);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0];
      if (!first) return callback(new Error(`${hostname} has no address`), '', 0);
      callback(null, first.address, first.family);
    });
  };
}

/** Checks a URL whose host is an IP literal, which http.request connects to without any lookup. */
export function literalAddressRefusal(url: URL, policy: NetworkPolicy): string | undefined {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return isIP(host) ? refusalReason(host, policy) : undefined;
}

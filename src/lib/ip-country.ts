import { createRequire } from 'node:module';
import { isIP } from 'node:net';

/**
 * Country of an IP address, from the GeoLite2 country data that the `geoip-country` npm package ships:
 * no download at run time. The data (about 18 MiB in memory) is loaded on the first lookup, so a
 * server whose rules never ask for a location does not pay for it.
 */
type Lookup = (ip: string) => { country: string } | null;
let lookup: Lookup | undefined;

export function countryOfIp(ip: string | null | undefined): string | null {
  if (!ip || isIP(ip) === 0) return null;
  lookup ??= (createRequire(import.meta.url)('geoip-country') as { lookup: Lookup }).lookup;
  return lookup(ip)?.country ?? null;
}

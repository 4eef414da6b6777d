/**
 * Reads the username of an HTTP Basic header. The SDKs send `base64(secret + ":")`; some clients
 * leave out the colon or use the base64url alphabet, so both are accepted.
 */
export function basicUsername(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/_=-]+)\s*$/i.exec(header);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1].replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const username = colon === -1 ? decoded : decoded.slice(0, colon);
  return username.length > 0 ? username : undefined;
}

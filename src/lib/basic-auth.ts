// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses.
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Longer than any key or tenant ID: such a header is refused before it is decoded. */
const MAX_ENCODED_LENGTH = 1024;

/**
 * Reads the username of an HTTP Basic header. The SDKs send `base64(secret + ":")`; some clients
 * leave out the colon or use the base64url alphabet, so both are accepted.
 *
 * A credential holding NUL or another control character is no key and no tenant ID: it is refused
 * here, because the username may be looked up in the database (the Client API's tenant Basic), and
 * PostgreSQL refuses NUL in text, which would turn a bad credential into a 500.
 */
export function basicUsername(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/_=-]+)\s*$/i.exec(header);
  if (!match?.[1] || match[1].length > MAX_ENCODED_LENGTH) return undefined;
  const decoded = Buffer.from(match[1].replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
  if (CONTROL.test(decoded)) return undefined;
  const colon = decoded.indexOf(':');
  const username = colon === -1 ? decoded : decoded.slice(0, colon);
  return username.length > 0 ? username : undefined;
}

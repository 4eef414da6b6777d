/**
 * A vendor's API base URL as stored: the default when none was given, else the given one (which its
 * schema already checked) without a trailing slash.
 */
export function normalisedBaseUrl(value: string | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  return new URL(value).toString().replace(/\/+$/, '');
}

/** Shows that a secret is set without showing it: the last four characters at most, for long values. */
export function maskSecret(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return value.length >= 16 ? `***${value.slice(-4)}` : '***';
}

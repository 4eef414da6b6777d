import { constantTimeEqual, hmacSha256 } from '../../lib/crypto.js';

/**
 * The stored form of a code: HMAC-SHA256 under a server key, bound to the challenge ID, so that a
 * leaked table reveals no code and a hash cannot be replayed against another challenge.
 */
export function hashCode(otpKey: Buffer, challengeId: string, code: string): string {
  return hmacSha256(otpKey, `${challengeId}:${code}`).toString('hex');
}

/** Compares a submitted code with the stored hash in constant time. */
export function codeMatches(otpKey: Buffer, challengeId: string, submitted: string, storedHash: string): boolean {
  const expected = Buffer.from(storedHash, 'hex');
  return constantTimeEqual(hmacSha256(otpKey, `${challengeId}:${submitted}`), expected);
}

export const VERIFICATION_FAILURE = {
  invalidOrExpired: 'CODE_INVALID_OR_EXPIRED',
  maxAttempts: 'MAX_ATTEMPTS_EXCEEDED',
} as const;

export type Scope = 'add:authenticators' | 'update:authenticators';
const KNOWN_SCOPES = new Set([
  'read:authenticators',
  'add:authenticators',
  'update:authenticators',
  'remove:authenticators',
]);

/** Parses a space-separated scope string; unknown scopes are an error rather than silently ignored. */
export function parseScopes(scope: unknown): Set<string> {
  if (scope === undefined || scope === null || scope === '') return new Set();
  if (typeof scope !== 'string') throw new TypeError('scope must be a string');
  const scopes = scope.split(/\s+/).filter(Boolean);
  const unknown = scopes.find((s) => !KNOWN_SCOPES.has(s));
  if (unknown) throw new RangeError(`Unknown scope "${unknown}"`);
  return new Set(scopes);
}

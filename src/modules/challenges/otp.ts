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

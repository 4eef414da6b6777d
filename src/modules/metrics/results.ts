// The failure reason is compared as a string: metrics imports no feature module.
/** What a verification came to, in the metric's words: a refused or wrong code past its expiry is `expired`. */
export function verificationResult(
  result: { isVerified: boolean; failureReason?: string } | undefined,
  expiresAt: number,
  now: number,
): 'verified' | 'wrong_code' | 'max_attempts' | 'expired' {
  if (result?.isVerified) return 'verified';
  if (result?.failureReason === 'MAX_ATTEMPTS_EXCEEDED') return 'max_attempts';
  return Number(expiresAt) <= now ? 'expired' : 'wrong_code';
}

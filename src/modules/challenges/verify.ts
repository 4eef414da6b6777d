import { challengeNotFound, invalidRequest, notFound } from '../../errors.js';
import type { ChallengeDeps } from './deps.js';
import { codeMatches, VERIFICATION_FAILURE } from './otp.js';
import { enrollmentScopes, grantedScopes } from './scopes.js';

export type VerifyResponse =
  | { isVerified: true; phoneNumber: string; verificationMethod: 'SMS' }
  | { isVerified: false; failureReason: (typeof VERIFICATION_FAILURE)[keyof typeof VERIFICATION_FAILURE] };

const invalidOrExpired: VerifyResponse = { isVerified: false, failureReason: VERIFICATION_FAILURE.invalidOrExpired };

/**
 * Checks a submitted code, in one transaction whose order of steps makes it safe under concurrency:
 * 1. count the attempt with an atomic increment (every guess is paid for, even 50 at once; on
 *    PostgreSQL the updated row stays locked, so concurrent verifications of it queue here);
 * 2. refuse once the count passes the budget, even for the right code;
 * 3. compare in constant time;
 * 4. mark verified with a conditional update, which exactly one request can win.
 */
export async function verifyChallenge(
  d: ChallengeDeps,
  tenantId: string,
  req: { challengeId: string; verificationCode: string },
): Promise<VerifyResponse> {
  const now = d.clock.now();
  const result = await d.db.transaction().execute(async (trx): Promise<VerifyResponse | undefined> => {
    const row = await d.challenges.countAttempt(tenantId, req.challengeId, trx);
    if (!row) return undefined;
    if (row.attempts > row.max_attempts) {
      await d.actions.setState(tenantId, row.idempotency_key, { event: { reason: 'max_attempts' }, now }, trx);
      return { isVerified: false, failureReason: VERIFICATION_FAILURE.maxAttempts };
    }
    if (row.expires_at <= now || row.failed_reason !== null) return invalidOrExpired;
    if (!codeMatches(d.keyring.otpKey, row.id, req.verificationCode, row.code_hash)) return invalidOrExpired;
    if (!(await d.challenges.markVerified(tenantId, row.id, now, trx))) return invalidOrExpired;
    await d.actions.setState(
      tenantId,
      row.idempotency_key,
      { event: { reason: 'verified' }, now, verificationMethod: 'SMS' },
      trx,
    );
    // Only an explicit scope lets a verified code change a user's authenticators.
    if (row.user_id && enrollmentScopes(grantedScopes(row.scope)).length > 0) {
      await d.users.enrollSms(tenantId, row.user_id, row.phone_number, trx, row.authenticator_id ?? undefined);
    }
    return { isVerified: true, phoneNumber: row.phone_number, verificationMethod: 'SMS' };
  });
  if (result) return result;
  if (!(await d.challenges.get(tenantId, req.challengeId))) throw challengeNotFound();
  return invalidOrExpired; // already verified: a code is accepted once
}

/**
 * Attributes a verified sign-in challenge to the user the app found for the phone number, and returns
 * a token that `validateChallenge` accepts. A challenge is claimed once.
 */
export async function claimChallenge(
  d: ChallengeDeps,
  tenantId: string,
  req: { challengeId: string; userId: string; skipVerificationCheck?: boolean },
): Promise<{ token: string; verificationMethod: 'SMS' }> {
  const now = d.clock.now();
  const skip = req.skipVerificationCheck === true;
  const row = await d.db.transaction().execute(async (trx) => {
    const claimed = await d.challenges.claim(
      tenantId,
      req.challengeId,
      {
        userId: req.userId,
        now,
        skipVerificationCheck: skip,
        // A verified challenge must be claimed within the token lifetime.
        verifiedSince: now - d.config.tokenTtlSeconds * 1000,
      },
      trx,
    );
    if (!claimed) return undefined;
    await d.users.store.upsert(tenantId, req.userId, {}, now, trx);
    await d.actions.assignUser(tenantId, claimed.idempotency_key, req.userId, now, trx);
    return claimed;
  });
  if (!row) throw await claimRefusal(d, tenantId, req.challengeId, req.userId, now);
  const token = await d.tokens.sign({
    tenantId,
    userId: req.userId,
    actionCode: row.action_code,
    idempotencyKey: row.idempotency_key,
    scope: 'read:authenticators',
  });
  return { token, verificationMethod: 'SMS' };
}

async function claimRefusal(d: ChallengeDeps, tenantId: string, challengeId: string, userId: string, now: number) {
  const current = await d.challenges.get(tenantId, challengeId);
  if (!current) return challengeNotFound();
  if (current.claimed_at !== null) return invalidRequest('This challenge has already been claimed');
  if (current.user_id !== null && current.user_id !== userId) {
    return invalidRequest('This challenge was started for another userId');
  }
  if (current.verified_at === null) return invalidRequest('This challenge has not been verified');
  if (current.verified_at <= now - d.config.tokenTtlSeconds * 1000) {
    return invalidRequest('This challenge was verified too long ago to be claimed');
  }
  return invalidRequest('This challenge cannot be claimed');
}

/** The challenge that `getChallenge` describes: by ID, or the user's newest one. */
export async function describeChallenge(
  d: ChallengeDeps,
  tenantId: string,
  q: { challengeId?: string; userId?: string; action?: string },
) {
  let row = q.challengeId ? await d.challenges.get(tenantId, q.challengeId) : undefined;
  if (!q.challengeId && q.userId) row = await d.challenges.latestForUser(tenantId, q.userId, q.action);
  if (!q.challengeId && !q.userId) throw invalidRequest('challengeId or userId is required');
  const owner = row?.user_id ?? row?.claimed_user_id;
  if (!row || (q.userId && owner !== q.userId) || (q.action && row.action_code !== q.action)) {
    throw notFound('No matching challenge exists');
  }
  return {
    challengeId: row.id,
    expiresAt: Math.floor(row.expires_at / 1000),
    verificationMethod: row.verification_method,
    smsChannel: 'DEFAULT',
    phoneNumber: row.phone_number,
    action: row.action_code,
    ...(owner ? { userId: owner } : {}),
    isVerified: row.verified_at !== null,
  };
}

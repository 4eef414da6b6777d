import { challengeNotFound } from '../../errors.js';
import type { Clock } from '../../lib/clock.js';
import type { Keyring } from '../../lib/crypto.js';
import { normalisePhone } from '../../lib/phone.js';
import type { UnitOfWork } from '../../storage/transactions.js';
import type { ActionStore } from '../actions/store.js';
import { type GuardDeps, guardSubmission, submissionSucceeded } from '../limits/guard.js';
import type { VerificationResult } from '../metrics/metrics.js';
import type { SmsStore } from '../sms/store.js';
import { enrollmentScopes, grantedScopes } from '../tokens/scopes.js';
import type { UserService } from '../users/service.js';
import type { UserStore } from '../users/store.js';
import { codeMatches, VERIFICATION_FAILURE } from './otp.js';
import type { ChallengeStore } from './store.js';

export interface VerifyDeps extends GuardDeps {
  clock: Clock;
  keyring: Keyring;
  challengeStore: ChallengeStore;
  userService: Pick<UserService, 'enrollSms'>;
  transaction: UnitOfWork<{ challenges: ChallengeStore; actions: ActionStore; users: UserStore; sms: SmsStore }>;
}

export type VerifyResponse =
  | { isVerified: true; phoneNumber: string; verificationMethod: 'SMS' }
  | { isVerified: false; failureReason: (typeof VERIFICATION_FAILURE)[keyof typeof VERIFICATION_FAILURE] };

const invalidOrExpired: VerifyResponse = { isVerified: false, failureReason: VERIFICATION_FAILURE.invalidOrExpired };

/**
 * Checks a submitted code. First, outside any transaction, the number's failure budget and submission
 * window are reserved (guardSubmission: atomic, across all of the number's challenges). Then one
 * transaction whose order of steps makes it safe under concurrency:
 * 1. count the attempt with an atomic increment (every guess is paid for, even 50 at once; on
 *    PostgreSQL the updated row stays locked, so concurrent verifications of it queue here);
 * 2. refuse once the count passes the budget, even for the right code;
 * 3. compare in constant time;
 * 4. mark verified with a conditional update, which exactly one request can win.
 */
export async function verifyChallenge(
  d: VerifyDeps,
  tenantId: string,
  req: { challengeId: string; verificationCode: string },
): Promise<VerifyResponse> {
  const target = await d.challengeStore.get(tenantId, req.challengeId);
  if (!target) throw challengeNotFound();
  // Before the code is compared, and outside the transaction: the number's failure budget and
  // submission window are reserved first (429 past them), so no guess is free.
  const phone = normalisePhone(target.phone_number);
  await guardSubmission(d, { tenantId, phone, challengeId: target.id });
  const now = d.clock.now();
  // What the submission came to, for sigil_otp_verifications_total (set on each path of the transaction).
  let counted: VerificationResult = 'already_verified';
  const result = await d.transaction(async (tx): Promise<VerifyResponse | undefined> => {
    const row = await tx.challenges.countAttempt(tenantId, req.challengeId);
    if (!row) return undefined;
    if (row.attempts > row.max_attempts) {
      counted = 'max_attempts';
      await tx.actions.setState(tenantId, row.idempotency_key, { event: { reason: 'max_attempts' }, now });
      return { isVerified: false, failureReason: VERIFICATION_FAILURE.maxAttempts };
    }
    if (row.expires_at <= now) {
      counted = 'expired';
      return invalidOrExpired;
    }
    if (row.failed_reason !== null) {
      counted = 'undelivered'; // no code reached the phone, so none is compared
      return invalidOrExpired;
    }
    if (!codeMatches(d.keyring.otpKey, row.id, req.verificationCode, row.code_hash)) {
      counted = 'wrong_code';
      await tx.challenges.recordWrongCode(tenantId, row.id, row.attempts, now); // the timeline's wrong codes
      return invalidOrExpired;
    }
    if (!(await tx.challenges.markVerified(tenantId, row.id, now))) return invalidOrExpired;
    counted = 'verified';
    await tx.sms.markVerified(tenantId, row.id, now); // the dashboard's conversion
    await tx.actions.setState(tenantId, row.idempotency_key, {
      event: { reason: 'verified' },
      now,
      verificationMethod: 'SMS',
    });
    // Only an explicit scope lets a verified code change a user's authenticators.
    if (row.user_id && enrollmentScopes(grantedScopes(row.scope)).length > 0) {
      await d.userService.enrollSms(tx, tenantId, row.user_id, row.phone_number, row.authenticator_id ?? undefined);
    }
    return { isVerified: true, phoneNumber: row.phone_number, verificationMethod: 'SMS' };
  });
  d.metrics?.otpVerification(counted);
  if (result?.isVerified) await submissionSucceeded(d, { tenantId, phone });
  return result ?? invalidOrExpired; // no result: already verified, and a code is accepted once
}

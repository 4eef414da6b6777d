import { ApiError, invalidRequest } from '../../errors.js';
import type { UnitOfWork } from '../../storage/transactions.js';
import { trackedAttribute } from '../actions/actions.js';
import { isClosed } from '../actions/state-machine.js';
import type { ActionStore } from '../actions/store.js';
import { type InitiateDeps, initiateChallenge } from '../challenges/initiate.js';
import type { ChallengeStore } from '../challenges/store.js';
import { type VerifyDeps, verifyChallenge } from '../challenges/verify.js';
import type { LimitsStore } from '../limits/store.js';
import type { SmsStore } from '../sms/store.js';
import { enrollmentScopes, formatScopes, grantedScopes, MANAGE_SCOPE } from '../tokens/scopes.js';
import type { ChallengeTokenClaims, TokenService } from '../tokens/service.js';
import type { UserService } from '../users/service.js';
import type { UserStore } from '../users/store.js';
import { authenticatorView } from '../users/users.js';

/** The Client API's SMS calls start and verify challenges as the Server API does, for the token's action. */
export type ClientSmsDeps = Omit<InitiateDeps & VerifyDeps, 'transaction' | 'userService'> & {
  transaction: UnitOfWork<{
    actions: ActionStore;
    challenges: ChallengeStore;
    sms: SmsStore;
    users: UserStore;
    limits: LimitsStore;
  }>;
  userService: Pick<UserService, 'smsAuthenticator' | 'authenticatorRecords' | 'enrollSms'>;
  tokenService: Pick<TokenService, 'sign'>;
};

/**
 * A token holder could otherwise start challenges without end (each enroll names a new number, and
 * each text costs money: SMS pumping). A tracked action gets as many challenges as one challenge gets
 * sends; track again for more.
 */
async function requireChallengeBudget(d: ClientSmsDeps, token: ChallengeTokenClaims) {
  const max = d.config.otp.maxSendsPerChallenge;
  if ((await d.challengeStore.countForAction(token.tenantId, token.idempotencyKey)) >= max) {
    throw new ApiError('too_many_requests', `An action may start at most ${max} challenges. Track the action again.`);
  }
}

async function requireOpenAction(d: ClientSmsDeps, token: ChallengeTokenClaims) {
  const action = await d.actionStore.get(token.tenantId, token.idempotencyKey);
  if (!action || action.user_id !== token.userId)
    throw new ApiError('unauthorized', 'The action of this token no longer exists.');
  // Actions that a code must not unlock: rules blocked them, or a person decides.
  if (isClosed(action.state)) {
    throw new ApiError('forbidden', `This action is ${action.state}: it cannot be completed with a challenge.`);
  }
  return action;
}

/**
 * `sms.challenge()`: sends a code to the user's enrolled number. Called again, it resends for the same
 * challenge, within the foundation's cooldown and send budget; the attempt count is kept.
 */
export async function challengeSms(d: ClientSmsDeps, token: ChallengeTokenClaims, ipAddress?: string) {
  const { tenantId, userId, idempotencyKey, actionCode } = token;
  const action = await requireOpenAction(d, token);
  const pending = await d.challengeStore.latestForAction(tenantId, idempotencyKey);
  if (pending && pending.verified_at === null && pending.expires_at > d.clock.now()) {
    const resent = await initiateChallenge(d, tenantId, {
      challengeId: pending.id,
      ...(ipAddress ? { ipAddress } : {}),
    });
    return { challengeId: resent.challengeId };
  }
  await requireChallengeBudget(d, token);
  const sms = await d.userService.smsAuthenticator(tenantId, userId);
  if (!sms?.phone_number) {
    throw invalidRequest('This user has no SMS authenticator. Enroll a number with sms.enroll first.');
  }
  const started = await initiateChallenge(d, tenantId, {
    action: actionCode,
    userId,
    phoneNumber: sms.phone_number,
    idempotencyKey,
    locale: trackedAttribute(action.attributes, 'locale'),
    ...(ipAddress ? { ipAddress } : {}),
  });
  return { challengeId: started.challengeId };
}

/**
 * `sms.enroll({phoneNumber})`: sends a code to a number; the authenticator is written once the code is
 * verified. Binding (docs/wire-protocol.md §4.10): a user with no authenticator may enroll the first one with the token from
 * track. Otherwise the token needs `add:authenticators` (to add) or `update:authenticators` (to change the
 * number of the user's SMS authenticator), from track or from a passed challenge. Sigil keeps one SMS
 * authenticator per user, so re-enrolling returns that authenticator's ID.
 */
export async function enrollSms(
  d: ClientSmsDeps,
  token: ChallengeTokenClaims,
  phoneNumber: string,
  ipAddress?: string,
) {
  const { tenantId, userId, idempotencyKey, actionCode } = token;
  const action = await requireOpenAction(d, token);
  const existing = await d.userService.authenticatorRecords(tenantId, userId);
  const granted = enrollmentScopes(grantedScopes(token.scope));
  if (existing.length > 0 && granted.length === 0) {
    throw new ApiError(
      'forbidden',
      'This user already has an authenticator: a token with add:authenticators or update:authenticators is needed.',
    );
  }
  await requireChallengeBudget(d, token);
  const sms = existing.find((a) => a.verification_method === 'SMS');
  const authenticatorId = sms?.id ?? d.random.uuid();
  await initiateChallenge(d, tenantId, {
    action: actionCode,
    userId,
    phoneNumber,
    idempotencyKey,
    locale: trackedAttribute(action.attributes, 'locale'),
    scope: existing.length === 0 ? 'add:authenticators' : formatScopes(granted),
    authenticatorId,
    ...(ipAddress ? { ipAddress } : {}),
  });
  return { userAuthenticatorId: authenticatorId, userId };
}

/** `sms.verify({code})`: on success, a new token that the backend validates and that may manage authenticators. */
export async function verifySms(d: ClientSmsDeps, token: ChallengeTokenClaims, verificationCode: string) {
  const { tenantId, userId, idempotencyKey, actionCode } = token;
  const challenge = await d.challengeStore.latestForAction(tenantId, idempotencyKey);
  if (!challenge) throw invalidRequest('No code has been sent for this token. Call sms.challenge first.');
  const result = await verifyChallenge(d, tenantId, { challengeId: challenge.id, verificationCode });
  if (!result.isVerified) return result;
  const accessToken = await d.tokenService.sign({ tenantId, userId, actionCode, idempotencyKey, scope: MANAGE_SCOPE });
  const enrolled = challenge.authenticator_id
    ? (await d.userService.authenticatorRecords(tenantId, userId)).find((a) => a.id === challenge.authenticator_id)
    : undefined;
  return {
    isVerified: true,
    accessToken,
    ...(enrolled ? { userAuthenticator: authenticatorView(enrolled) } : {}),
  };
}

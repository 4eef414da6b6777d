import type { Config } from '../../config.js';
import { challengeNotFound, invalidRequest } from '../../errors.js';
import type { Clock } from '../../lib/clock.js';
import type { UnitOfWork } from '../../storage/transactions.js';
import type { ActionStore } from '../actions/store.js';
import type { TokenService } from '../tokens/service.js';
import type { UserStore } from '../users/store.js';
import type { ChallengeStore } from './store.js';

export interface ClaimDeps {
  config: Readonly<Pick<Config, 'tokenTtlSeconds'>>;
  clock: Clock;
  challengeStore: ChallengeStore;
  tokenService: Pick<TokenService, 'sign'>;
  transaction: UnitOfWork<{ challenges: ChallengeStore; actions: ActionStore; users: UserStore }>;
}

/**
 * Attributes a verified sign-in challenge to the user the app found for the phone number, and returns
 * a token that `validateChallenge` accepts. A challenge is claimed once.
 */
export async function claimChallenge(
  d: ClaimDeps,
  tenantId: string,
  req: { challengeId: string; userId: string; skipVerificationCheck?: boolean },
): Promise<{ token: string; verificationMethod: 'SMS' }> {
  const now = d.clock.now();
  const skip = req.skipVerificationCheck === true;
  const row = await d.transaction(async (tx) => {
    const claimed = await tx.challenges.claim(tenantId, req.challengeId, {
      userId: req.userId,
      now,
      skipVerificationCheck: skip,
      // A verified challenge must be claimed within the token lifetime.
      verifiedSince: now - d.config.tokenTtlSeconds * 1000,
    });
    if (!claimed) return undefined;
    await tx.users.upsert(tenantId, req.userId, {}, now);
    await tx.actions.assignUser(tenantId, claimed.idempotency_key, req.userId, now);
    return claimed;
  });
  if (!row) throw await claimRefusal(d, tenantId, req.challengeId, req.userId, now);
  const token = await d.tokenService.sign({
    tenantId,
    userId: req.userId,
    actionCode: row.action_code,
    idempotencyKey: row.idempotency_key,
    scope: 'read:authenticators',
  });
  return { token, verificationMethod: 'SMS' };
}

async function claimRefusal(d: ClaimDeps, tenantId: string, challengeId: string, userId: string, now: number) {
  const current = await d.challengeStore.get(tenantId, challengeId);
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

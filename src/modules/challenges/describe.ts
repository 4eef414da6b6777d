import { invalidRequest, notFound } from '../../errors.js';
import type { ChallengeStore } from './store.js';

/** The challenge that `getChallenge` describes: by ID, or the user's newest one. */
export async function describeChallenge(
  d: { challengeStore: ChallengeStore },
  tenantId: string,
  q: { challengeId?: string; userId?: string; action?: string },
) {
  let row = q.challengeId ? await d.challengeStore.get(tenantId, q.challengeId) : undefined;
  if (!q.challengeId && q.userId) row = await d.challengeStore.latestForUser(tenantId, q.userId, q.action);
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

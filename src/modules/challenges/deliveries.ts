import { challengeNotFound } from '../../errors.js';
import { deliveryTimeline, type TimelineEntry } from '../sms/receipts.js';
import type { SmsStore } from '../sms/store.js';
import type { ChallengeStore } from './store.js';

/** `GET /v1/management/challenges/:challengeId/deliveries`: the challenge's send attempts with their receipts. */
export async function challengeDeliveries(
  d: { challengeStore: ChallengeStore; smsStore: SmsStore },
  tenantId: string,
  challengeId: string,
): Promise<{ challengeId: string; attempts: TimelineEntry[] }> {
  const challenge = await d.challengeStore.get(tenantId, challengeId);
  if (!challenge) throw challengeNotFound();
  return { challengeId: challenge.id, attempts: await deliveryTimeline(d.smsStore, tenantId, challenge.id) };
}

import { notFound } from '../../errors.js';
import { iso } from '../../lib/clock.js';
import { countryOfIp } from '../../lib/ip-country.js';
import { maskPhone } from '../../lib/phone.js';
import type { ActionRow, ChallengeRow, UserRow } from '../../storage/schema.js';
import { trackedAttributes } from '../actions/actions.js';
import { decodeCursor, paged } from './cursor.js';
import type { ActivityReads } from './reads.js';

/** Full numbers for every role but the viewer (contracts.md). */
export type ShowPhone = (phone: string | null) => string | null;
export const showPhone =
  (masked: boolean): ShowPhone =>
  (phone) =>
    phone === null ? null : masked ? maskPhone(phone) : phone;

export const userNotFound = () => notFound('No user with this userId exists');

function summary(u: UserRow, show: ShowPhone) {
  return {
    userId: u.user_id,
    email: u.email,
    phoneNumber: show(u.phone_number),
    displayName: u.display_name,
    createdAt: iso(u.created_at),
    updatedAt: iso(u.updated_at),
  };
}

export async function searchUsers(
  reads: ActivityReads,
  tenantId: string,
  q: { query?: string | undefined; cursor?: string | undefined; limit?: number | undefined },
  show: ShowPhone,
) {
  const limit = q.limit ?? 50;
  const before = decodeCursor(q.cursor, { createdAt: 'number', userId: 'string' });
  const rows = q.query?.trim()
    ? await reads.users.matching(tenantId, q.query, before, limit + 1)
    : await reads.users.newest(tenantId, before, limit + 1);
  const { page, nextCursor } = paged(rows, limit, (u) => ({ createdAt: u.created_at, userId: u.user_id }));
  return { users: page.map((u) => summary(u, show)), nextCursor };
}

export async function userDetail(reads: ActivityReads, tenantId: string, userId: string, show: ShowPhone) {
  const [user, authenticators] = await Promise.all([
    reads.users.get(tenantId, userId),
    reads.users.authenticators(tenantId, userId),
  ]);
  if (!user) throw userNotFound();
  return {
    user: {
      ...summary(user, show),
      emailVerified: user.email_verified === 1,
      phoneNumberVerified: user.phone_number_verified === 1,
      username: user.username,
      custom: user.custom ? (JSON.parse(user.custom) as Record<string, unknown>) : null,
    },
    authenticators: authenticators.map((a) => ({
      authenticatorId: a.id,
      verificationMethod: a.verification_method,
      phoneNumber: show(a.phone_number),
      email: a.email,
      createdAt: iso(a.created_at),
      verifiedAt: iso(a.verified_at),
      lastVerifiedAt: iso(a.last_verified_at),
    })),
  };
}

/** A challenge's state in words the activity list shares with actions. */
export function challengeState(c: ChallengeRow, now: number): string {
  if (c.verified_at !== null) return 'verified';
  if (c.failed_reason !== null || c.attempts >= c.max_attempts) return 'failed';
  return c.expires_at <= now ? 'expired' : 'pending';
}

/**
 * The user's actions and challenges, newest first, merged: each list is read from its own index after the
 * cursor's time, one row over the page, and the two are merged; the cursor is the last item's (time, kind, id).
 */
export async function userActivity(
  reads: ActivityReads,
  tenantId: string,
  userId: string,
  q: { cursor?: string | undefined; limit?: number | undefined },
  show: ShowPhone,
  now: number,
) {
  const limit = q.limit ?? 50;
  const before = decodeCursor(q.cursor, { at: 'number', kind: 'string', id: 'string' });
  // Order: time descending, then kind ('challenge' before 'action'), then ID descending.
  const actionKey = before && { createdAt: before.at, key: before.kind === 'action' ? before.id : '\uffff' };
  const challengeKey = before && { createdAt: before.at, id: before.kind === 'challenge' ? before.id : '' };
  const [actions, challenges] = await Promise.all([
    reads.actions.forUser(tenantId, userId, actionKey, limit + 1),
    reads.challenges.forUser(tenantId, userId, challengeKey, limit + 1),
  ]);
  // A user ID a challenge or track named has activity even before (or without) a user record: 404 only
  // when there is neither.
  if (!before && actions.length === 0 && challenges.length === 0 && !(await reads.users.get(tenantId, userId))) {
    throw userNotFound();
  }
  const ofChallenges = await reads.actions.byKeys(tenantId, [...new Set(challenges.map((c) => c.idempotency_key))]);
  const actionOf = new Map(ofChallenges.map((a) => [a.idempotency_key, a]));
  const items = [
    ...actions.map((a) => ({
      at: a.created_at,
      kind: 'action' as const,
      id: a.idempotency_key,
      action: a,
      challenge: undefined,
    })),
    ...challenges.map((c) => ({
      at: c.created_at,
      kind: 'challenge' as const,
      id: c.id,
      action: actionOf.get(c.idempotency_key),
      challenge: c,
    })),
  ].sort((a, b) => b.at - a.at || (a.kind === b.kind ? (a.id < b.id ? 1 : -1) : a.kind === 'challenge' ? -1 : 1));
  const { page, nextCursor } = paged(items, limit, (i) => ({ at: i.at, kind: i.kind, id: i.id }));
  return {
    items: page.map((i) => activityItem(i.kind, i.at, i.action, i.challenge, show, now)),
    nextCursor,
  };
}

export function activityItem(
  kind: 'action' | 'challenge',
  at: number,
  action: ActionRow | undefined,
  challenge: ChallengeRow | undefined,
  show: ShowPhone,
  now: number,
) {
  const attrs = trackedAttributes(action?.attributes ?? null);
  const text = (name: string) => (typeof attrs[name] === 'string' ? (attrs[name] as string) : null);
  return {
    kind,
    at: iso(at),
    actionCode: challenge?.action_code ?? action?.action_code ?? '',
    idempotencyKey: challenge?.idempotency_key ?? action?.idempotency_key ?? null,
    challengeId: challenge?.id ?? null,
    state: challenge ? challengeState(challenge, now) : (action?.state ?? ''),
    ipAddress: text('ipAddress'),
    country: countryOfIp(text('ipAddress')),
    deviceId: text('deviceId'),
    userAgent: text('userAgent'),
    ruleIds: action?.rule_ids ? (JSON.parse(action.rule_ids) as string[]) : [],
    phoneNumber: show(challenge?.phone_number ?? text('phoneNumber')),
  };
}

import { ApiError } from '../../errors.js';
import type { Actor } from '../../http/actor.js';
import { iso } from '../../lib/clock.js';
import type { UnitOfWork } from '../../storage/transactions.js';
import type { ActionStore } from '../actions/store.js';
import { decodeCursor, paged } from './cursor.js';
import { actionNotFound } from './detail.js';
import type { ActivityReads } from './reads.js';
import { activityItem } from './users.js';

const IN_REVIEW = 'REVIEW_REQUIRED';

/** `GET /reviews`: every action awaiting review, oldest first (index actions_state_time). */
export async function reviewQueue(
  reads: ActivityReads,
  tenantId: string,
  q: { cursor?: string | undefined; limit?: number | undefined },
  now: number,
) {
  const limit = q.limit ?? 50;
  const after = decodeCursor(q.cursor, { createdAt: 'number', key: 'string' });
  const rows = await reads.actions.inState(tenantId, IN_REVIEW, after, limit + 1);
  const { page, nextCursor } = paged(rows, limit, (a) => ({ createdAt: a.created_at, key: a.idempotency_key }));
  return {
    items: page.map((a) => {
      const item = activityItem('action', a.created_at, a, undefined, (p) => p, now);
      return {
        idempotencyKey: a.idempotency_key,
        userId: a.user_id,
        actionCode: a.action_code,
        createdAt: iso(a.created_at),
        ipAddress: item.ipAddress,
        country: item.country,
        deviceId: item.deviceId,
        userAgent: item.userAgent,
        ruleIds: item.ruleIds,
      };
    }),
    nextCursor,
  };
}

/** Who decided, as the action's history records it. */
export function decidedBy(actor: Actor): string {
  return actor.kind === 'operator' ? `operator:${actor.email}` : `key:${actor.keyId ?? 'management-key'}`;
}

export interface DecideDeps {
  activityReads: ActivityReads;
  clock: { now(): number };
  transaction: UnitOfWork<{ actions: ActionStore }>;
}

/**
 * `POST /reviews/:idempotencyKey`: approve or reject through the state machine's `api` event, as
 * updateAction does, with one conditional UPDATE that also demands REVIEW_REQUIRED: of two reviewers
 * deciding at once, one wins and the other gets 409.
 */
export async function decideReview(
  d: DecideDeps,
  tenantId: string,
  key: string,
  decision: 'approve' | 'reject',
  actor: Actor,
) {
  const to = decision === 'approve' ? ('REVIEW_SUCCEEDED' as const) : ('REVIEW_FAILED' as const);
  const by = decidedBy(actor);
  const now = d.clock.now();
  const changed = await d.transaction((tx) =>
    tx.actions.setState(tenantId, key, { event: { reason: 'api', to }, now, actor: by, onlyFrom: IN_REVIEW }),
  );
  if (!changed) {
    if (!(await d.activityReads.actions.get(tenantId, key))) throw actionNotFound();
    throw new ApiError('action_not_in_review', 'This action is no longer awaiting review; it was decided or changed.');
  }
  return { idempotencyKey: key, state: to, decidedBy: by };
}

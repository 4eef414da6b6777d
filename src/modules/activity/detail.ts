import { challengeNotFound, notFound } from '../../errors.js';
import { iso } from '../../lib/clock.js';
import { countryOfIp } from '../../lib/ip-country.js';
import type { ChallengeRow } from '../../storage/schema.js';
import { trackedAttributes } from '../actions/actions.js';
import { actionEvents, type ChallengeStory, challengeStory, merged, type TimelineDeps } from './timeline.js';
import type { ShowPhone } from './users.js';

export const actionNotFound = () => notFound('No action with this idempotencyKey exists');

function challengeView(s: ChallengeStory, show: ShowPhone) {
  const c = s.challenge;
  return {
    challengeId: c.id,
    phoneNumber: show(c.phone_number) as string,
    createdAt: iso(c.created_at),
    expiresAt: iso(c.expires_at),
    attempts: c.attempts,
    maxAttempts: c.max_attempts,
    verifiedAt: c.verified_at === null ? null : iso(c.verified_at),
    why: s.why,
  };
}

/** `GET /actions/:idempotencyKey`: the action, its rules, its challenges with their why, one timeline. */
export async function actionDetail(d: TimelineDeps, tenantId: string, key: string, show: ShowPhone) {
  const reads = d.activityReads;
  const action = await reads.actions.get(tenantId, key);
  if (!action) throw actionNotFound();
  const [history, challenges, rules] = await Promise.all([
    reads.actions.history(tenantId, key),
    reads.challenges.forAction(tenantId, key),
    reads.actions.rulesOf(tenantId, action.action_code),
  ]);
  const stories = await Promise.all(challenges.map((c) => challengeStory(d, tenantId, c)));
  const matched: string[] = action.rule_ids ? JSON.parse(action.rule_ids) : [];
  const known = new Set(rules.map((r) => r.id));
  const attrs = trackedAttributes(action.attributes);
  const text = (name: string) => (typeof attrs[name] === 'string' ? (attrs[name] as string) : null);
  return {
    action: {
      idempotencyKey: action.idempotency_key,
      userId: action.user_id,
      actionCode: action.action_code,
      state: action.state,
      outcome: action.outcome,
      createdAt: iso(action.created_at),
      updatedAt: iso(action.updated_at),
      validatedAt: action.validated_at === null ? null : iso(action.validated_at),
      ipAddress: text('ipAddress'),
      country: countryOfIp(text('ipAddress')),
      deviceId: text('deviceId'),
      userAgent: text('userAgent'),
      attributes: attrs,
    },
    rules: [
      ...rules.map((r) => ({
        ruleId: r.id,
        name: r.name,
        type: r.type,
        matched: matched.includes(r.id),
        deciding: r.id === action.priority_rule_id,
      })),
      // A rule that matched and was deleted since still decided: it stays on the record.
      ...matched
        .filter((id) => !known.has(id))
        .map((id) => ({
          ruleId: id,
          name: '(deleted rule)',
          type: '',
          matched: true,
          deciding: id === action.priority_rule_id,
        })),
    ],
    challenges: stories.map((s) => challengeView(s, show)),
    timeline: merged([...actionEvents(action, history), ...stories.flatMap((s) => s.events)]),
  };
}

/** `GET /challenges/:challengeId`: the challenge, its why, and its own timeline with its action's changes. */
export async function challengeDetail(d: TimelineDeps, tenantId: string, challengeId: string, show: ShowPhone) {
  const c: ChallengeRow | undefined = await d.activityReads.challenges.get(tenantId, challengeId);
  if (!c) throw challengeNotFound();
  const story = await challengeStory(d, tenantId, c);
  return {
    challenge: {
      challengeId: c.id,
      idempotencyKey: c.idempotency_key,
      userId: c.user_id,
      actionCode: c.action_code,
      phoneNumber: show(c.phone_number) as string,
      createdAt: iso(c.created_at),
      expiresAt: iso(c.expires_at),
      attempts: c.attempts,
      maxAttempts: c.max_attempts,
      verifiedAt: c.verified_at === null ? null : iso(c.verified_at),
      failedReason: c.failed_reason,
    },
    why: story.why,
    timeline: merged(story.events),
  };
}

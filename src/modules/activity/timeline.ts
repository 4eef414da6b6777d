import { iso } from '../../lib/clock.js';
import type { ActionRow, ActionStateChangeRow, ChallengeRow } from '../../storage/schema.js';
import type { LimitsStore } from '../limits/store.js';
import { reasonInWords } from '../sms/plain-words.js';
import { deliveryTimeline, type TimelineEntry } from '../sms/receipts.js';
import type { SmsStore } from '../sms/store.js';
import type { ActivityReads } from './reads.js';
import { type Refusal, type Why, whyOf } from './why.js';

export interface TimelineDeps {
  activityReads: ActivityReads;
  smsStore: SmsStore;
  limitsStore: Pick<LimitsStore, 'decisions' | 'triggersOf'>;
  clock: { now(): number };
}

/** One event of the merged timeline; the members after `summary` belong to its kind. */
export interface TimelineEvent {
  at: string;
  kind: string;
  challengeId: string | null;
  summary: string;
  state?: string;
  reason?: string;
  decidedBy?: string | null;
  attempt?: number;
  provider?: string;
  outcome?: string;
  vendorError?: string | null;
  latencyMs?: number;
  receipts?: { status: string; vendorStatus: string; errorCode: string | null; at: string }[];
  defence?: string;
  mode?: string;
  attemptNumber?: number;
  decision?: 'approved' | 'rejected';
}

interface Stamped {
  ms: number;
  order: number;
  event: TimelineEvent;
}

/** One challenge as the timeline knows it: its sends, refusals, wrong codes and why. */
export interface ChallengeStory {
  challenge: ChallengeRow;
  why: Why;
  events: Stamped[];
}

const REVIEW_DECISIONS = new Map([
  ['REVIEW_SUCCEEDED', 'approved'],
  ['REVIEW_FAILED', 'rejected'],
] as const);

/** Everything that happened to one challenge, in time order, and the why sentence computed from it. */
export async function challengeStory(d: TimelineDeps, tenantId: string, c: ChallengeRow): Promise<ChallengeStory> {
  const [sends, decisions, wrong] = await Promise.all([
    deliveryTimeline(d.smsStore, tenantId, c.id),
    d.limitsStore.decisions(tenantId, { challengeId: c.id, limit: 100 }),
    d.activityReads.challenges.wrongCodes(tenantId, [c.id]),
  ]);
  const refused = decisions.filter((x) => x.kind === 'send' && x.outcome === 'refused').reverse();
  const triggers = await d.limitsStore.triggersOf(
    tenantId,
    refused.map((x) => x.id),
  );
  const refusals: Refusal[] = refused.map((x) => {
    const own = triggers.find((t) => t.decision_id === x.id && t.defence === x.defence);
    return { at: x.at, defence: x.defence ?? 'unknown', mode: own?.mode ?? 'enforce' };
  });
  const now = d.clock.now();
  const why = whyOf({ challenge: c, sends, refusals, wrongCodes: wrong.length, now });
  const events: Stamped[] = [
    ...sends.map((s) => sendEvent(c.id, s)),
    ...refusals.map((r) =>
      stamp(r.at, 1, {
        kind: 'send_refused',
        challengeId: c.id,
        summary: `Sigil refused to send a code (defence ${r.defence}, mode ${r.mode}).`,
        defence: r.defence,
        mode: r.mode,
      }),
    ),
    ...wrong.map((w) =>
      stamp(w.at, 2, {
        kind: 'wrong_code',
        challengeId: c.id,
        summary: `A wrong code was entered (attempt ${w.attempt} of ${c.max_attempts}).`,
        attemptNumber: w.attempt,
      }),
    ),
  ];
  if (c.verified_at !== null) {
    events.push(
      stamp(c.verified_at, 3, { kind: 'verified', challengeId: c.id, summary: 'The code was entered correctly.' }),
    );
  } else if (c.expires_at <= now && c.failed_reason === null) {
    events.push(
      stamp(c.expires_at, 4, {
        kind: 'expired',
        challengeId: c.id,
        summary: 'The code expired without being entered.',
      }),
    );
  }
  return { challenge: c, why, events };
}

/** The action's state changes, its validation and its review decisions, as timeline events. */
export function actionEvents(action: ActionRow, history: ActionStateChangeRow[]): Stamped[] {
  const events: Stamped[] = history.map((h) =>
    stamp(h.at, 0, {
      kind: 'state_change',
      challengeId: null,
      summary: `The action became ${h.state} (${h.reason}${h.actor ? `, by ${h.actor}` : ''}).`,
      state: h.state,
      reason: h.reason,
      decidedBy: h.actor ?? null,
    }),
  );
  for (const h of history) {
    const decision = h.reason === 'api' ? REVIEW_DECISIONS.get(h.state as 'REVIEW_SUCCEEDED') : undefined;
    if (!decision) continue;
    const by = h.actor ?? 'the Server API';
    events.push(
      stamp(h.at, 5, {
        kind: 'review_decision',
        challengeId: null,
        summary: `The review was ${decision} by ${by}.`,
        decision,
        decidedBy: by,
      }),
    );
  }
  if (action.validated_at !== null) {
    events.push(
      stamp(action.validated_at, 6, {
        kind: 'validated',
        challengeId: null,
        summary: 'The backend validated the action.',
      }),
    );
  }
  return events;
}

/** Oldest first; at the same millisecond, in the order things happen (state, send, refusal, ...). */
export function merged(events: Stamped[]): TimelineEvent[] {
  return [...events].sort((a, b) => a.ms - b.ms || a.order - b.order).map((s) => s.event);
}

function sendEvent(challengeId: string, s: TimelineEntry): Stamped {
  const receipt = s.deliveryStatus ? `; receipt: ${s.deliveryStatus}` : '';
  const summary =
    s.outcome === 'accepted'
      ? `Code sent through ${s.provider} (attempt ${s.attempt}, ${s.latencyMs} ms${receipt}).`
      : `Send through ${s.provider} failed (attempt ${s.attempt}): it ${reasonInWords(s.error ?? 'send_failed')}.`;
  return stamp(Date.parse(s.createdAt), 1, {
    kind: 'code_sent',
    challengeId,
    summary,
    attempt: s.attempt,
    provider: s.provider,
    outcome: s.outcome,
    vendorError: s.error,
    latencyMs: s.latencyMs,
    receipts: s.receipts.map((r) => ({
      status: r.status,
      vendorStatus: r.vendorStatus,
      errorCode: r.errorCode,
      at: r.receivedAt,
    })),
  });
}

function stamp(ms: number, order: number, event: Omit<TimelineEvent, 'at'>): Stamped {
  return { ms, order, event: { at: iso(ms), ...event } };
}

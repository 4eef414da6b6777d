import { invalidRequest } from '../../errors.js';
import { type Clock, iso } from '../../lib/clock.js';
import type { SmsDecisionTriggerRow } from '../../storage/schema.js';
import type { ChallengeStore } from '../challenges/store.js';
import { DEFENCES, type Mode } from './policy.js';
import type { SmsPolicyService } from './policy-service.js';
import type { LimitsStore } from './store.js';

/**
 * The shadow report and the decision log: what each defence refused, and what it would have refused in
 * `record_only`, so that an operator sees the cost of switching a defence to `enforce` before doing it.
 * "Later verified" is the cost: a would-refuse send whose code was verified reached a real person.
 */
export interface ReportDeps {
  clock: Clock;
  limitsStore: Pick<LimitsStore, 'triggersSince'>;
  /** The challenges module answers which challenges were verified; its table is not joined from here. */
  challengeStore: Pick<ChallengeStore, 'verifiedAmong'>;
  smsPolicies: Pick<SmsPolicyService, 'get'>;
}

interface DefenceCounts {
  defence: string;
  /** The mode the defence had when it triggered. */
  mode: string;
  /** Sends and submissions refused (enforce). */
  refused: number;
  /** Those let through that it would have refused (record_only). */
  wouldRefuse: number;
  /** The would-refuse ones whose challenge was verified: what enforcing would have cost. */
  laterVerified: number;
}

export interface DefenceReport {
  days: number;
  since: string;
  defences: DefenceCounts[];
  summaries: { defence: string; mode: Mode; summary: string }[];
}

export const REPORT_DAYS = { min: 1, max: 90, default: 7 } as const;
/** IDs per verifiedAmong query: well under SQLite's and PostgreSQL's bound-parameter limits. */
const ID_BATCH = 500;

/** `GET /v1/management/sms-defences/report?days=`: per defence and mode, over the last `days` days. */
export async function defenceReport(d: ReportDeps, tenantId: string, daysParam?: string): Promise<DefenceReport> {
  const days = daysParam === undefined ? REPORT_DAYS.default : Number(daysParam);
  if (!Number.isInteger(days) || days < REPORT_DAYS.min || days > REPORT_DAYS.max) {
    throw invalidRequest(`days must be a whole number from ${REPORT_DAYS.min} to ${REPORT_DAYS.max}`);
  }
  const since = d.clock.now() - days * 86_400_000;
  const [triggers, policy] = await Promise.all([
    d.limitsStore.triggersSince(tenantId, since),
    d.smsPolicies.get(tenantId),
  ]);
  const shadowed = triggers.filter((t) => t.mode === 'record_only' && t.challenge_id !== null);
  const verified = await verifiedAmong(d, tenantId, [...new Set(shadowed.map((t) => t.challenge_id as string))]);

  const byKey = new Map<string, DefenceCounts>();
  for (const t of triggers) {
    const key = `${t.defence}\u0000${t.mode}`;
    let row = byKey.get(key);
    if (!row) {
      row = { defence: t.defence, mode: t.mode, refused: 0, wouldRefuse: 0, laterVerified: 0 };
      byKey.set(key, row);
    }
    if (t.mode === 'enforce' && t.outcome === 'refused') row.refused += 1;
    if (t.mode === 'record_only') {
      row.wouldRefuse += 1;
      if (t.challenge_id !== null && verified.has(t.challenge_id)) row.laterVerified += 1;
    }
  }
  const defences = [...byKey.values()].sort(
    (a, b) => order(a.defence) - order(b.defence) || a.mode.localeCompare(b.mode),
  );
  const summaries = DEFENCES.map((defence) => ({
    defence,
    mode: policy.modes[defence],
    summary: summarise(
      days,
      defences.filter((r) => r.defence === defence),
    ),
  }));
  return { days, since: iso(since), defences, summaries };
}

async function verifiedAmong(d: ReportDeps, tenantId: string, ids: string[]): Promise<Set<string>> {
  const batches: string[][] = [];
  for (let i = 0; i < ids.length; i += ID_BATCH) batches.push(ids.slice(i, i + ID_BATCH));
  const found = await Promise.all(batches.map((batch) => d.challengeStore.verifiedAmong(tenantId, batch)));
  return new Set(found.flatMap((s) => [...s]));
}

const order = (defence: string): number => {
  const i = (DEFENCES as readonly string[]).indexOf(defence);
  return i === -1 ? DEFENCES.length : i;
};

/** "In the last 7 days this setting would have refused 12 sends, 1 of which later verified." */
function summarise(days: number, rows: DefenceCounts[]): string {
  const refused = sum(rows, 'refused');
  const wouldRefuse = sum(rows, 'wouldRefuse');
  const laterVerified = sum(rows, 'laterVerified');
  const period = days === 1 ? 'In the last day' : `In the last ${days} days`;
  const sends = (n: number) => `${n} ${n === 1 ? 'send' : 'sends'}`;
  const shadow = `would have refused ${sends(wouldRefuse)}, ${laterVerified} of which later verified`;
  if (refused > 0 && wouldRefuse > 0) return `${period} this setting refused ${sends(refused)} and ${shadow}.`;
  if (refused > 0) return `${period} this setting refused ${sends(refused)}.`;
  if (wouldRefuse > 0) return `${period} this setting ${shadow}.`;
  return `${period} this setting refused no sends and would have refused none.`;
}

const sum = (rows: DefenceCounts[], field: 'refused' | 'wouldRefuse' | 'laterVerified'): number =>
  rows.reduce((n, r) => n + r[field], 0);

export interface DecisionLogDeps {
  limitsStore: Pick<LimitsStore, 'decisions' | 'triggersOf'>;
}

export interface DecisionView {
  id: string;
  at: string;
  kind: string;
  outcome: string;
  defence: string | null;
  challengeId: string | null;
  phoneNumber: string;
  country: string | null;
  prefix: string;
  ipAddress: string | null;
  userId: string | null;
  provider: string | null;
  triggers: { defence: string; mode: string; retryAfterMs: number }[];
}

export const DECISION_LIMIT = { min: 1, max: 500, default: 50 } as const;

/** `GET /v1/management/sms-decisions`: decision records newest first, each with the defences it triggered. */
export async function decisionLog(
  d: DecisionLogDeps,
  tenantId: string,
  q: { challengeId?: string | undefined; limit?: string | undefined },
): Promise<{ decisions: DecisionView[] }> {
  const limit = q.limit === undefined ? DECISION_LIMIT.default : Number(q.limit);
  if (!Number.isInteger(limit) || limit < DECISION_LIMIT.min || limit > DECISION_LIMIT.max) {
    throw invalidRequest(`limit must be a whole number from ${DECISION_LIMIT.min} to ${DECISION_LIMIT.max}`);
  }
  const rows = await d.limitsStore.decisions(tenantId, { challengeId: q.challengeId, limit });
  const triggers = new Map<string, SmsDecisionTriggerRow[]>();
  for (const t of await d.limitsStore.triggersOf(
    tenantId,
    rows.map((r) => r.id),
  )) {
    triggers.set(t.decision_id, [...(triggers.get(t.decision_id) ?? []), t]);
  }
  return {
    decisions: rows.map((r) => ({
      id: r.id,
      at: iso(r.at),
      kind: r.kind,
      outcome: r.outcome,
      defence: r.defence,
      challengeId: r.challenge_id,
      phoneNumber: r.phone_number,
      country: r.country,
      prefix: r.prefix,
      ipAddress: r.ip_address,
      userId: r.user_id,
      provider: r.provider,
      triggers: (triggers.get(r.id) ?? [])
        .sort((a, b) => order(a.defence) - order(b.defence))
        .map((t) => ({ defence: t.defence, mode: t.mode, retryAfterMs: t.retry_after_ms })),
    })),
  };
}

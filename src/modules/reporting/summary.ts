import { iso } from '../../lib/clock.js';
import { defenceInWords } from '../activity/why.js';
import { failureInWords } from '../sms/plain-words.js';
import type { GroupBy } from '../sms/report-queries.js';
import { percentile } from './latency.js';
import { type PriceTable, segmentPrice } from './prices.js';
import { dayName, daysOf, summaryRange } from './range.js';
import type { ReportingReads } from './reads.js';

interface Tally {
  sent: number;
  delivered: number;
  failed: number;
  refused: number;
  verified: number;
  segments: number;
  cost: number;
  latency: Map<number, number>;
}

const tally = (): Tally => ({
  sent: 0,
  delivered: 0,
  failed: 0,
  refused: 0,
  verified: 0,
  segments: 0,
  cost: 0,
  latency: new Map(),
});

function figures(t: Tally, prices: PriceTable | undefined) {
  return {
    sent: t.sent,
    delivered: t.delivered,
    failed: t.failed,
    refused: t.refused,
    verified: t.verified,
    conversion: t.sent > 0 ? Math.round((t.verified / t.sent) * 10_000) / 10_000 : null,
    latencyP50Ms: percentile(t.latency, 0.5),
    latencyP95Ms: percentile(t.latency, 0.95),
    segments: t.segments,
    estimatedCost: prices ? Math.round(t.cost * 10_000) / 10_000 : null,
  };
}

/**
 * The dashboard's SMS figures over a range, by UTC day, country, prefix or provider. "Sent" counts the codes
 * a provider accepted; conversion is verified ÷ sent, a code counting as verified on its last accepted
 * attempt. Segments and cost count accepted attempts only, priced by the destination's country.
 */
export async function smsSummary(
  reads: ReportingReads,
  tenantId: string,
  q: { from?: string | undefined; to?: string | undefined; groupBy?: GroupBy | undefined },
  now: number,
) {
  const { from, to, fromHour, toHour } = summaryRange(q, now);
  const groupBy = q.groupBy ?? 'day';
  // One after the other: SQLite has one connection, and on PostgreSQL each is a single index range.
  const tallies = await reads.sends.tallies(tenantId, fromHour, toHour, groupBy);
  const refused = await reads.refused.counts(tenantId, from, to, groupBy);
  const prices = await reads.prices.get(tenantId);
  const groups = new Map<string, Tally>();
  if (groupBy === 'day') for (const day of daysOf(from, to)) groups.set(day, tally());
  const total = tally();
  const of = (key: string) => groups.get(key) ?? (groups.set(key, tally()).get(key) as Tally);
  const failures = new Map<string, { provider: string; reason: string; accepted: boolean; count: number }>();
  for (const r of tallies) {
    for (const t of [of(r.key), total]) {
      if (r.status === 'failed') t.failed += r.count;
      if (r.status === 'delivered') t.delivered += r.count;
      if (r.bucket >= 0) t.latency.set(r.bucket, (t.latency.get(r.bucket) ?? 0) + r.count);
      if (!r.accepted) continue;
      t.sent += r.count;
      if (r.verified) t.verified += r.count;
      t.segments += r.segments;
      t.cost += r.segments * (segmentPrice(prices, r.country) ?? 0);
    }
    if (r.status === 'failed') {
      const id = `${r.failedProvider}\u0000${r.reason}\u0000${r.accepted}`;
      const f = failures.get(id) ?? { provider: r.failedProvider, reason: r.reason, accepted: r.accepted, count: 0 };
      f.count += r.count;
      failures.set(id, f);
    }
  }
  const byDefence = new Map<string, number>();
  for (const r of refused) {
    for (const t of [of(r.key), total]) t.refused += r.count;
    byDefence.set(r.defence, (byDefence.get(r.defence) ?? 0) + r.count);
  }
  const rows = [...groups.entries()].map(([key, t]) => ({ key: keyName(groupBy, key), ...figures(t, prices) }));
  if (groupBy === 'day') rows.sort((a, b) => (a.key < b.key ? -1 : 1));
  else rows.sort((a, b) => b.sent - a.sent || b.refused - a.refused || (a.key < b.key ? -1 : 1));
  return {
    from: iso(from),
    to: iso(to),
    groupBy,
    currency: prices?.currency ?? null,
    rows,
    totals: figures(total, prices),
    failuresByReason: [...failures.values()]
      .filter((f) => f.count > 0) // a failure a later receipt turned into a delivery nets to zero
      .map((f) => ({
        provider: f.provider,
        reason: f.reason || 'unknown',
        words: failureInWords(f.provider, f.reason, f.accepted),
        count: f.count,
      }))
      .sort((a, b) => b.count - a.count),
    refusalsByLimit: [...byDefence.entries()]
      .map(([defence, count]) => ({ defence, words: defenceInWords(defence), count }))
      .sort((a, b) => b.count - a.count),
  };
}

function keyName(groupBy: GroupBy, key: string): string {
  if (groupBy === 'day') return dayName(key);
  if (key === '') return 'unknown';
  return groupBy === 'prefix' ? `+${key}` : key;
}

/** Track outcomes over a range, by UTC day or action code. */
export async function actionOutcomes(
  reads: ReportingReads,
  tenantId: string,
  q: { from?: string | undefined; to?: string | undefined; groupBy?: 'day' | 'action' | undefined },
  now: number,
) {
  const { from, to } = summaryRange(q, now);
  const groupBy = q.groupBy ?? 'day';
  const zero = () => ({ ALLOW: 0, CHALLENGE_REQUIRED: 0, REVIEW_REQUIRED: 0, BLOCK: 0 });
  const groups = new Map<string, ReturnType<typeof zero>>();
  if (groupBy === 'day') for (const day of daysOf(from, to)) groups.set(dayName(day), zero());
  for (const r of await reads.actions.outcomes(tenantId, from, to, groupBy)) {
    const key = groupBy === 'day' ? dayName(r.key) : r.key;
    const row = groups.get(key) ?? groups.set(key, zero()).get(key);
    if (row && r.outcome in row) row[r.outcome as keyof typeof row] += r.count;
  }
  const rows = [...groups.entries()].map(([key, counts]) => ({ key, ...counts }));
  rows.sort((a, b) => (a.key < b.key ? -1 : 1));
  return { from: iso(from), to: iso(to), groupBy, rows };
}

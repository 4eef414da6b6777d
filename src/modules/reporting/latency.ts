import { LATENCY_BOUNDS_MS } from '../sms/hourly.js';

/**
 * A percentile of delivery latency from bucket counts, interpolated linearly inside the bucket it falls in
 * (as Prometheus's histogram_quantile does): exact to the bucket, the same on SQLite and PostgreSQL, and
 * one GROUP BY instead of sorting every latency. The open last bucket reports its lower bound.
 */
export function percentile(counts: Map<number, number>, q: number): number | null {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let bucket = 0; bucket <= LATENCY_BOUNDS_MS.length; bucket++) {
    const n = counts.get(bucket) ?? 0;
    if (n > 0 && seen + n >= rank) {
      const lower = bucket === 0 ? 0 : (LATENCY_BOUNDS_MS[bucket - 1] as number);
      const upper = LATENCY_BOUNDS_MS[bucket];
      if (upper === undefined) return lower;
      return Math.round(lower + ((upper - lower) * (rank - seen)) / n);
    }
    seen += n;
  }
  return null;
}

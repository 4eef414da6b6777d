import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { HOUR_MS } from '../../lib/clock.js';
import type { Db } from '../../storage/db.js';
import type { SmsHourlyRow, SmsSendRow } from '../../storage/schema.js';

/** Upper bounds, in ms, of the delivery-latency buckets the percentiles are read from. */
export const LATENCY_BOUNDS_MS = [
  250, 500, 1_000, 2_000, 3_000, 5_000, 7_500, 10_000, 15_000, 20_000, 30_000, 45_000, 60_000, 120_000, 300_000,
  600_000, 1_800_000,
];

/** The bucket of a latency: an index into LATENCY_BOUNDS_MS, or its length for beyond the last. */
export function latencyBucket(ms: number): number {
  const i = LATENCY_BOUNDS_MS.findIndex((bound) => ms <= bound);
  return i === -1 ? LATENCY_BOUNDS_MS.length : i;
}

type Cell = Omit<SmsHourlyRow, 'count' | 'segments'>;

/**
 * The one cell of `sms_hourly` an attempt counts in: its hour and everything the summary groups or counts
 * by. An attempt is in exactly one cell; a receipt or a verification moves it to another.
 */
export function cellOf(a: SmsSendRow): Cell {
  const delivered = a.status === 'delivered' && a.status_at !== null;
  return {
    tenant_id: a.tenant_id,
    hour: Math.floor(Number(a.created_at) / HOUR_MS),
    country: a.country ?? '',
    prefix: a.prefix ?? '',
    provider: a.provider,
    status: a.status,
    accepted: a.outcome === 'accepted' ? 1 : 0,
    verified: a.verified_at === null ? 0 : 1,
    bucket: delivered ? latencyBucket(Number(a.status_at) - Number(a.created_at)) : -1,
    reason: a.status === 'failed' ? (a.error ?? a.status_reason ?? '') : '',
  };
}

const KEY = [
  'tenant_id',
  'hour',
  'country',
  'prefix',
  'provider',
  'status',
  'accepted',
  'verified',
  'bucket',
  'reason',
] as const;

/**
 * Adds each attempt's `sign` (1 or -1) to its cell, as rows of `sms_hourly_deltas` written in the
 * transaction that wrote the attempt, its receipt or its verification, so counts and rows agree. An insert,
 * not an upsert of the cell: every send of an hour goes to the same few cells, and on PostgreSQL each
 * upsert would hold that cell's row lock until its transaction commits, one sign-in after another.
 */
export async function countIn(db: Db, changes: [attempt: SmsSendRow, sign: 1 | -1][]): Promise<void> {
  if (changes.length === 0) return;
  await db
    .insertInto('sms_hourly_deltas')
    .values(
      changes.map(([a, sign]) => ({
        id: randomUUID(),
        ...cellOf(a),
        count: sign,
        segments: sign * Number(a.segments ?? 0),
      })),
    )
    .execute();
}

/**
 * Folds up to `limit` deltas into their cells, in one transaction (the caller's): the deltas are deleted
 * with RETURNING, so each is folded exactly once however many processes fold at once, and the cells are
 * upserted in key order, so two folders never wait on each other in a cycle. Returns how many it folded.
 */
export async function foldDeltas(db: Db, limit: number): Promise<number> {
  const taken = await db
    .deleteFrom('sms_hourly_deltas')
    .where('id', 'in', db.selectFrom('sms_hourly_deltas').select('id').limit(limit))
    .returningAll()
    .execute();
  const cells = new Map<string, SmsHourlyRow>();
  for (const { id: _id, ...d } of taken) {
    const key = JSON.stringify(KEY.map((k) => d[k]));
    const cell = cells.get(key);
    if (cell) {
      cell.count = Number(cell.count) + Number(d.count);
      cell.segments = Number(cell.segments) + Number(d.segments);
    } else cells.set(key, { ...d, count: Number(d.count), segments: Number(d.segments) });
  }
  for (const key of [...cells.keys()].sort()) {
    const cell = cells.get(key) as SmsHourlyRow;
    if (cell.count === 0 && cell.segments === 0) continue;
    await db
      .insertInto('sms_hourly')
      .values(cell)
      .onConflict((oc) =>
        oc.columns([...KEY]).doUpdateSet({
          count: sql`sms_hourly.count + ${cell.count}`,
          segments: sql`sms_hourly.segments + ${cell.segments}`,
        }),
      )
      .execute();
  }
  return taken.length;
}

/**
 * Fills `sms_hourly` from `sms_sends` for one tenant (the benchmark's bulk load; migration 013 does the same
 * for every tenant with its own copy of this SQL). Existing cells and deltas of the tenant are replaced.
 */
export async function rebuildHourly(db: Db, tenantId: string): Promise<void> {
  await db.deleteFrom('sms_hourly_deltas').where('tenant_id', '=', tenantId).execute();
  await db.deleteFrom('sms_hourly').where('tenant_id', '=', tenantId).execute();
  const bucket = sql.join(
    LATENCY_BOUNDS_MS.map((bound, i) => sql`when status_at - created_at <= ${sql.lit(bound)} then ${sql.lit(i)}`),
    sql` `,
  );
  await sql`INSERT INTO sms_hourly (tenant_id, hour, country, prefix, provider, status, accepted, verified, bucket, reason, count, segments)
    SELECT tenant_id, created_at / ${sql.lit(HOUR_MS)}, coalesce(country, ''), coalesce(prefix, ''), provider, status,
      case when outcome = 'accepted' then 1 else 0 end, case when verified_at is null then 0 else 1 end,
      case when status = 'delivered' and status_at is not null then case ${bucket} else ${sql.lit(LATENCY_BOUNDS_MS.length)} end else -1 end,
      case when status = 'failed' then coalesce(error, status_reason, '') else '' end,
      count(*), coalesce(sum(segments), 0)
    FROM sms_sends WHERE tenant_id = ${tenantId}
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10`.execute(db);
}

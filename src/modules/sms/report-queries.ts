import { type ExpressionBuilder, sql } from 'kysely';
import type { Db } from '../../storage/db.js';
import type { Database, SmsSendRow } from '../../storage/schema.js';

/** A keyset position in the message log: the time, ties by ID (the same order across both of its sources). */
export interface LogKey {
  at: number;
  id: string;
}

/** What the message log and dashboard filter on; every field is matched exactly, in SQL, on an index. */
export interface SendFilter {
  from: number;
  to: number;
  /** refused: the sends Sigil's limits refused, which are decision records, not attempts. */
  status?: 'sent' | 'delivered' | 'failed' | 'refused' | undefined;
  provider?: string | undefined;
  country?: string | undefined;
  prefix?: string | undefined;
  userId?: string | undefined;
  challengeId?: string | undefined;
}

export type GroupBy = 'day' | 'country' | 'prefix' | 'provider';

export const DAY_MS = 86_400_000;

/** Upper bounds, in ms, of the delivery-latency buckets the percentiles are read from. */
export const LATENCY_BOUNDS_MS = [
  250, 500, 1_000, 2_000, 3_000, 5_000, 7_500, 10_000, 15_000, 20_000, 30_000, 45_000, 60_000, 120_000, 300_000,
  600_000, 1_800_000,
];

type Eb = ExpressionBuilder<Database, 'sms_sends'>;

/** The group's key as SQL: a UTC day number, or the column (empty when unknown). */
function keyOf(groupBy: GroupBy) {
  if (groupBy === 'day') return sql<number | string>`sms_sends.created_at / ${sql.lit(DAY_MS)}`;
  return sql<string>`coalesce(${sql.ref(`sms_sends.${groupBy}`)}, '')`;
}

/**
 * The SMS module's reads for the message log and the dashboard (issue 11), on the columns and indexes of
 * migration 013. Each reads one index range of one tenant; nothing is joined.
 */
export class SmsReportQueries {
  constructor(private readonly db: Db) {}

  /** Send attempts newest first, after `before`. */
  async sends(tenantId: string, f: SendFilter, before: LogKey | undefined, limit: number): Promise<SmsSendRow[]> {
    if (f.status === 'refused') return [];
    let q = this.db
      .selectFrom('sms_sends')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where((eb) => this.matching(eb, f));
    if (before) {
      q = q
        .where('created_at', '<=', before.at)
        .where((eb) =>
          eb.or([
            eb('created_at', '<', before.at),
            eb.and([eb('created_at', '=', before.at), eb('id', '<', before.id)]),
          ]),
        );
    }
    return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  }

  private matching(eb: Eb, f: SendFilter) {
    const where = [eb('created_at', '>=', f.from), eb('created_at', '<', f.to)];
    if (f.status) where.push(eb('status', '=', f.status));
    if (f.provider) where.push(eb('provider', '=', f.provider));
    if (f.country) where.push(eb('country', '=', f.country));
    if (f.prefix) where.push(eb('prefix', '=', f.prefix));
    if (f.userId) where.push(eb('user_id', '=', f.userId));
    if (f.challengeId) where.push(eb('challenge_id', '=', f.challengeId));
    return eb.and(where);
  }

  /**
   * Counts by group, country (for the price of each segment), status, whether the vendor accepted the
   * attempt, and whether it converted: few rows, from one pass over the range.
   */
  async counts(tenantId: string, from: number, to: number, groupBy: GroupBy) {
    const key = keyOf(groupBy);
    const rows = await this.db
      .selectFrom('sms_sends')
      .select([
        key.as('key'),
        sql<string>`coalesce(sms_sends.country, '')`.as('country'),
        'status',
        sql<number>`case when sms_sends.outcome = 'accepted' then 1 else 0 end`.as('accepted'),
        sql<number>`case when sms_sends.verified_at is null then 0 else 1 end`.as('verified'),
        sql<number | string>`count(*)`.as('count'),
        sql<number | string | null>`sum(sms_sends.segments)`.as('segments'),
      ])
      .where('tenant_id', '=', tenantId)
      .where('created_at', '>=', from)
      .where('created_at', '<', to)
      .groupBy([sql`1`, sql`2`, sql`3`, sql`4`, sql`5`])
      .execute();
    return rows.map((r) => ({
      key: String(r.key),
      country: r.country,
      status: r.status,
      accepted: Number(r.accepted) === 1,
      verified: Number(r.verified) === 1,
      count: Number(r.count),
      segments: Number(r.segments ?? 0),
    }));
  }

  /** Delivered attempts by group and latency bucket (an index into LATENCY_BOUNDS_MS; its length: beyond). */
  async latencyBuckets(tenantId: string, from: number, to: number, groupBy: GroupBy) {
    const latency = sql`(sms_sends.status_at - sms_sends.created_at)`;
    const bucket = sql<number>`case ${sql.join(
      LATENCY_BOUNDS_MS.map((bound, i) => sql`when ${latency} <= ${sql.lit(bound)} then ${sql.lit(i)}`),
      sql` `,
    )} else ${sql.lit(LATENCY_BOUNDS_MS.length)} end`;
    const rows = await this.db
      .selectFrom('sms_sends')
      .select([keyOf(groupBy).as('key'), bucket.as('bucket'), sql<number | string>`count(*)`.as('count')])
      .where('tenant_id', '=', tenantId)
      .where('created_at', '>=', from)
      .where('created_at', '<', to)
      .where('status', '=', 'delivered')
      .where('status_at', 'is not', null)
      .groupBy([sql`1`, sql`2`])
      .execute();
    return rows.map((r) => ({ key: String(r.key), bucket: Number(r.bucket), count: Number(r.count) }));
  }

  /** Failed attempts by provider and reason: the vendor's refusal word, or the carrier receipt's error. */
  async failures(tenantId: string, from: number, to: number) {
    const rows = await this.db
      .selectFrom('sms_sends')
      .select([
        'provider',
        'outcome',
        sql<string>`coalesce(sms_sends.error, sms_sends.status_reason, '')`.as('reason'),
        sql<number | string>`count(*)`.as('count'),
      ])
      .where('tenant_id', '=', tenantId)
      .where('created_at', '>=', from)
      .where('created_at', '<', to)
      .where('status', '=', 'failed')
      .groupBy([sql`1`, sql`2`, sql`3`])
      .execute();
    return rows.map((r) => ({ ...r, count: Number(r.count) }));
  }
}

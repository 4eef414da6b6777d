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

type Eb = ExpressionBuilder<Database, 'sms_sends'>;

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
   * Everything the summary counts, from the hourly cells of [from, to) (whole hours): counts and segments by
   * group, country (for the price of each segment), status, whether the vendor accepted the attempt, whether
   * it converted, its latency bucket (-1 unless delivered) and, for failed ones, the provider and reason.
   */
  async tallies(tenantId: string, fromHour: number, toHour: number, groupBy: GroupBy) {
    // The cells, and the changes not folded into them yet (a second's worth; -1 and +1 rows): the caller adds
    // them up, so together they are exact at any moment.
    return [
      ...(await this.tallyOf('sms_hourly', tenantId, fromHour, toHour, groupBy)),
      ...(await this.tallyOf('sms_hourly_deltas', tenantId, fromHour, toHour, groupBy)),
    ];
  }

  private async tallyOf(
    table: 'sms_hourly' | 'sms_hourly_deltas',
    tenantId: string,
    fromHour: number,
    toHour: number,
    groupBy: GroupBy,
  ) {
    // Both tables have the cell's columns; the type is the cells' for either.
    const t = table as 'sms_hourly';
    const key = groupBy === 'day' ? sql<number | string>`hour / 24` : sql<string>`${sql.ref(groupBy)}`;
    const rows = await this.db
      .selectFrom(t)
      .select([
        key.as('key'),
        'country',
        'status',
        'accepted',
        'verified',
        'bucket',
        sql<string>`case when status = 'failed' then provider else '' end`.as('failed_provider'),
        'reason',
        sql<number | string>`sum(count)`.as('count'),
        sql<number | string>`sum(segments)`.as('segments'),
      ])
      .where('tenant_id', '=', tenantId)
      .where('hour', '>=', fromHour)
      .where('hour', '<', toHour)
      .groupBy([sql`1`, sql`2`, sql`3`, sql`4`, sql`5`, sql`6`, sql`7`, sql`8`])
      .execute();
    return rows.map((r) => ({
      key: String(r.key),
      country: r.country,
      status: r.status,
      accepted: Number(r.accepted) === 1,
      verified: Number(r.verified) === 1,
      bucket: Number(r.bucket),
      failedProvider: r.failed_provider,
      reason: r.reason,
      count: Number(r.count),
      segments: Number(r.segments),
    }));
  }
}

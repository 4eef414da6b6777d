import { sql } from 'kysely';
import { DAY_MS } from '../../lib/clock.js';
import type { Db } from '../../storage/db.js';
import type { SmsDecisionRow } from '../../storage/schema.js';
import type { GroupBy, LogKey, SendFilter } from '../sms/report-queries.js';

/**
 * The limits module's reads of the sends it refused, for the message log and the dashboard (issue 11): the
 * `send` decisions whose outcome is `refused`, on the partial index of migration 013. A refused send has no
 * provider, so a provider filter matches none of them.
 */
export class RefusedSendQueries {
  constructor(private readonly db: Db) {}

  async page(tenantId: string, f: SendFilter, before: LogKey | undefined, limit: number): Promise<SmsDecisionRow[]> {
    if (f.provider || (f.status && f.status !== 'refused')) return [];
    let q = this.refused(tenantId, f.from, f.to).selectAll();
    if (f.country) q = q.where('country', '=', f.country);
    if (f.prefix) q = q.where('prefix', '=', f.prefix);
    if (f.userId) q = q.where('user_id', '=', f.userId);
    if (f.challengeId) q = q.where('challenge_id', '=', f.challengeId);
    if (before) {
      q = q
        .where('at', '<=', before.at)
        .where((eb) => eb.or([eb('at', '<', before.at), eb.and([eb('at', '=', before.at), eb('id', '<', before.id)])]));
    }
    return q.orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  }

  /** Refused sends by group and by the defence that refused them. */
  async counts(tenantId: string, from: number, to: number, groupBy: GroupBy) {
    const key =
      groupBy === 'day'
        ? sql<number | string>`sms_decisions.at / ${sql.lit(DAY_MS)}`
        : groupBy === 'provider'
          ? sql<string>`''`
          : sql<string>`coalesce(${sql.ref(`sms_decisions.${groupBy}`)}, '')`;
    const rows = await this.refused(tenantId, from, to)
      .select([
        key.as('key'),
        sql<string>`coalesce(sms_decisions.defence, '')`.as('defence'),
        sql<number | string>`count(*)`.as('count'),
      ])
      .groupBy([sql`1`, sql`2`])
      .execute();
    return rows.map((r) => ({ key: String(r.key), defence: r.defence, count: Number(r.count) }));
  }

  private refused(tenantId: string, from: number, to: number) {
    return this.db
      .selectFrom('sms_decisions')
      .where('tenant_id', '=', tenantId)
      .where('kind', '=', 'send')
      .where('outcome', '=', 'refused')
      .where('at', '>=', from)
      .where('at', '<', to);
  }
}

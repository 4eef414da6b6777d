import type { Db } from '../../storage/db.js';
import type { SmsDecisionRow, SmsDecisionTriggerRow } from '../../storage/schema.js';

export interface CounterState {
  points: number;
  expiresAt: number;
}

/**
 * The limits module's tables: policies, counters (when Redis is not configured) and decision records.
 * A counter changes by one statement, `INSERT … ON CONFLICT DO UPDATE … RETURNING`, which adds to the
 * count inside its window or starts a new window once it has passed: N concurrent requests get the N
 * counts 1…N, on one node or many, so a budget of B passes exactly B of them.
 */
export class LimitsStore {
  constructor(private readonly db: Db) {}

  async policy(tenantId: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('sms_policies')
      .select('policy')
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return row?.policy;
  }

  async putPolicy(tenantId: string, policy: string, now: number): Promise<void> {
    await this.db
      .insertInto('sms_policies')
      .values({ tenant_id: tenantId, policy, updated_at: now })
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ policy, updated_at: now }))
      .execute();
  }

  /** Writes `policy` only if the stored one is still `expected` (undefined: none stored). True when written. */
  async swapPolicy(tenantId: string, expected: string | undefined, policy: string, now: number): Promise<boolean> {
    const result =
      expected === undefined
        ? await this.db
            .insertInto('sms_policies')
            .values({ tenant_id: tenantId, policy, updated_at: now })
            .onConflict((oc) => oc.column('tenant_id').doNothing())
            .executeTakeFirst()
        : await this.db
            .updateTable('sms_policies')
            .set({ policy, updated_at: now })
            .where('tenant_id', '=', tenantId)
            .where('policy', '=', expected)
            .executeTakeFirst();
    const written = 'numInsertedOrUpdatedRows' in result ? result.numInsertedOrUpdatedRows : result.numUpdatedRows;
    return Number(written ?? 0n) > 0;
  }

  async deletePolicy(tenantId: string): Promise<void> {
    await this.db.deleteFrom('sms_policies').where('tenant_id', '=', tenantId).execute();
  }

  /** Adds `points` to the counter, in its current window or a new one of `windowMs`; returns it after. */
  async addPoints(key: string, points: number, windowMs: number, now: number): Promise<CounterState> {
    const state = (await this.addPointsMany([{ key, points, windowMs }], now)).get(key);
    if (!state) throw new Error(`counter ${key} was not returned`);
    return state;
  }

  /**
   * `addPoints` for many counters in one statement (rows sorted by key, so that concurrent statements on
   * PostgreSQL lock rows in the same order and cannot deadlock). Keys must be distinct. A row with a
   * `windowMs` of 0 resets its counter: it is left expired (as if deleted), so the next add starts a new
   * window and a peek finds nothing. That lets a reset share the statement of the adds beside it.
   */
  async addPointsMany(
    rows: { key: string; points: number; windowMs: number }[],
    now: number,
  ): Promise<Map<string, CounterState>> {
    const sorted = [...rows].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const result = await this.db
      .insertInto('limit_counters')
      .values(sorted.map((r) => ({ key: r.key, points: r.points, expires_at: now + r.windowMs })))
      .onConflict((oc) =>
        oc.column('key').doUpdateSet((eb) => {
          // The stored window has ended, or this row is a reset: the row takes the new values as they are.
          const restarts = eb.or([eb('limit_counters.expires_at', '<=', now), eb('excluded.expires_at', '<=', now)]);
          return {
            points: eb
              .case()
              .when(restarts)
              .then(eb.ref('excluded.points'))
              .else(eb('limit_counters.points', '+', eb.ref('excluded.points')))
              .end(),
            expires_at: eb
              .case()
              .when(restarts)
              .then(eb.ref('excluded.expires_at'))
              .else(eb.ref('limit_counters.expires_at'))
              .end(),
          };
        }),
      )
      .returning(['key', 'points', 'expires_at'])
      .execute();
    return new Map(result.map((r) => [r.key, { points: Number(r.points), expiresAt: Number(r.expires_at) }]));
  }

  /** The live counters among `keys`, in one statement. */
  async countersMany(keys: string[], now: number): Promise<Map<string, CounterState>> {
    const rows = await this.db
      .selectFrom('limit_counters')
      .select(['key', 'points', 'expires_at'])
      .where('key', 'in', keys)
      .where('expires_at', '>', now)
      .execute();
    return new Map(rows.map((r) => [r.key, { points: Number(r.points), expiresAt: Number(r.expires_at) }]));
  }

  async counter(key: string, now: number): Promise<CounterState | undefined> {
    const row = await this.db
      .selectFrom('limit_counters')
      .select(['points', 'expires_at'])
      .where('key', '=', key)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return row ? { points: Number(row.points), expiresAt: Number(row.expires_at) } : undefined;
  }

  async deleteCounters(keys: string[]): Promise<void> {
    await this.db.deleteFrom('limit_counters').where('key', 'in', keys).execute();
  }

  /** Deletes counters whose window ended before `cutoff`; they would start afresh anyway. */
  async purgeCounters(cutoff: number, limit: number): Promise<number> {
    const result = await this.db
      .deleteFrom('limit_counters')
      .where('key', 'in', (eb) =>
        eb.selectFrom('limit_counters').select('key').where('expires_at', '<', cutoff).limit(limit),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Deletes decision records older than `cutoff` (their triggers go with them, by cascade). */
  async purgeDecisions(cutoff: number, limit: number): Promise<number> {
    const result = await this.db
      .deleteFrom('sms_decisions')
      .where('id', 'in', (eb) => eb.selectFrom('sms_decisions').select('id').where('at', '<', cutoff).limit(limit))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async recordDecision(decision: SmsDecisionRow, triggers: SmsDecisionTriggerRow[]): Promise<void> {
    await this.db.insertInto('sms_decisions').values(decision).execute();
    if (triggers.length > 0) await this.db.insertInto('sms_decision_triggers').values(triggers).execute();
  }

  /** The defences triggered since `since`, by defence and mode, with the challenges they concerned. */
  async triggersSince(
    tenantId: string,
    since: number,
  ): Promise<{ defence: string; mode: string; outcome: string; challenge_id: string | null }[]> {
    return this.db
      .selectFrom('sms_decision_triggers as t')
      .innerJoin('sms_decisions as d', (join) =>
        join.onRef('d.id', '=', 't.decision_id').onRef('d.tenant_id', '=', 't.tenant_id'),
      )
      .select(['t.defence', 't.mode', 'd.outcome', 'd.challenge_id'])
      .where('t.tenant_id', '=', tenantId)
      .where('t.at', '>=', since)
      .execute();
  }

  async decisions(
    tenantId: string,
    q: { since?: number; challengeId?: string; limit: number },
  ): Promise<SmsDecisionRow[]> {
    let query = this.db.selectFrom('sms_decisions').selectAll().where('tenant_id', '=', tenantId);
    if (q.since !== undefined) query = query.where('at', '>=', q.since);
    if (q.challengeId) query = query.where('challenge_id', '=', q.challengeId);
    return query.orderBy('at', 'desc').limit(q.limit).execute();
  }

  async triggersOf(tenantId: string, decisionIds: string[]): Promise<SmsDecisionTriggerRow[]> {
    if (decisionIds.length === 0) return [];
    return this.db
      .selectFrom('sms_decision_triggers')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('decision_id', 'in', decisionIds)
      .execute();
  }
}

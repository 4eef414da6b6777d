import { sql } from 'kysely';
import { DAY_MS } from '../../lib/clock.js';
import type { Db } from '../../storage/db.js';
import type { ActionRow, ActionStateChangeRow } from '../../storage/schema.js';

/** A keyset position in a list of actions: created_at, ties by idempotency key. */
export interface ActionKey {
  createdAt: number;
  key: string;
}

/**
 * The actions module's reads for the portal's activity pages (issue 11): a user's actions newest first
 * (index actions_user), the review queue oldest first (actions_state_time), and batches by key.
 */
export class ActionActivityQueries {
  constructor(private readonly db: Db) {}

  async get(tenantId: string, key: string): Promise<ActionRow | undefined> {
    return this.db
      .selectFrom('actions')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('idempotency_key', '=', key)
      .executeTakeFirst();
  }

  async byKeys(tenantId: string, keys: string[]): Promise<ActionRow[]> {
    if (keys.length === 0) return [];
    return this.db
      .selectFrom('actions')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('idempotency_key', 'in', keys)
      .execute();
  }

  /** The user's actions newest first, after `before`. */
  async forUser(tenantId: string, userId: string, before: ActionKey | undefined, limit: number): Promise<ActionRow[]> {
    let q = this.db.selectFrom('actions').selectAll().where('tenant_id', '=', tenantId).where('user_id', '=', userId);
    if (before) {
      q = q
        .where('created_at', '<=', before.createdAt)
        .where((eb) =>
          eb.or([
            eb('created_at', '<', before.createdAt),
            eb.and([eb('created_at', '=', before.createdAt), eb('idempotency_key', '<', before.key)]),
          ]),
        );
    }
    return q.orderBy('created_at', 'desc').orderBy('idempotency_key', 'desc').limit(limit).execute();
  }

  /** Actions in `state`, oldest first, after `after`: the review queue. */
  async inState(tenantId: string, state: string, after: ActionKey | undefined, limit: number): Promise<ActionRow[]> {
    let q = this.db.selectFrom('actions').selectAll().where('tenant_id', '=', tenantId).where('state', '=', state);
    if (after) {
      q = q
        .where('created_at', '>=', after.createdAt)
        .where((eb) =>
          eb.or([
            eb('created_at', '>', after.createdAt),
            eb.and([eb('created_at', '=', after.createdAt), eb('idempotency_key', '>', after.key)]),
          ]),
        );
    }
    return q.orderBy('created_at').orderBy('idempotency_key').limit(limit).execute();
  }

  /** The state history, oldest first, with who decided each change made by hand. */
  async history(tenantId: string, key: string): Promise<ActionStateChangeRow[]> {
    return this.db
      .selectFrom('action_state_changes')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('idempotency_key', '=', key)
      .orderBy('at')
      .execute();
  }

  /** Every rule of the action code, active or not, for "rules evaluated". */
  async rulesOf(tenantId: string, actionCode: string) {
    return this.db
      .selectFrom('rules')
      .select(['id', 'name', 'type', 'priority', 'is_active'])
      .where('tenant_id', '=', tenantId)
      .where('action_code', '=', actionCode)
      .orderBy('priority')
      .execute();
  }

  /** Track outcomes by UTC day or action code, on the covering index actions_outcomes. */
  async outcomes(tenantId: string, from: number, to: number, groupBy: 'day' | 'action') {
    const key =
      groupBy === 'day'
        ? sql<number | string>`actions.created_at / ${sql.lit(DAY_MS)}`
        : sql<string>`actions.action_code`;
    const rows = await this.db
      .selectFrom('actions')
      .select([key.as('key'), 'outcome', sql<number | string>`count(*)`.as('count')])
      .where('tenant_id', '=', tenantId)
      .where('created_at', '>=', from)
      .where('created_at', '<', to)
      .where('outcome', 'is not', null)
      .groupBy([sql`1`, sql`2`])
      .execute();
    return rows.map((r) => ({ key: String(r.key), outcome: r.outcome ?? '', count: Number(r.count) }));
  }
}

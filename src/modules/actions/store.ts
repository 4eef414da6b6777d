import type { Db } from '../../storage/db.js';
import type { ActionRow, ActionStateChangeRow } from '../../storage/schema.js';
import type { ActionState } from './actions.js';

/** What moved an action into a state; kept in its history. */
export type StateReason = 'rules' | 'challenge_sent' | 'delivery_failed' | 'verified' | 'max_attempts' | 'api';

export type NewAction = Omit<ActionRow, 'attributes' | 'rule_ids' | 'priority_rule_id' | 'validated_at'> &
  Partial<Pick<ActionRow, 'attributes' | 'rule_ids' | 'priority_rule_id'>>;

/** Actions and their state history. Every change of state writes a history row in the same transaction. */
export class ActionStore {
  constructor(private readonly db: Db) {}

  /** Inserts the action unless its idempotency key exists; true when this call created it. */
  async insertIfAbsent(row: NewAction, reason: StateReason, db: Db = this.db): Promise<boolean> {
    const inserted = await db
      .insertInto('actions')
      .values(complete(row))
      .onConflict((oc) => oc.columns(['tenant_id', 'idempotency_key']).doNothing())
      .returning('idempotency_key')
      .executeTakeFirst();
    if (inserted) await this.recordState(row.tenant_id, row.idempotency_key, row.state, reason, row.created_at, db);
    return inserted !== undefined;
  }

  /**
   * Creates the action, or moves an existing one with this idempotency key to the row's state, but only
   * from one of `movableFrom`: a new challenge must never reopen an action that rules blocked, that awaits
   * review, or that already succeeded. Returns whether the state was written.
   */
  async upsert(row: NewAction, reason: StateReason, movableFrom: ActionState[], db: Db = this.db): Promise<boolean> {
    const written = await db
      .insertInto('actions')
      .values(complete(row))
      .onConflict((oc) =>
        oc
          .columns(['tenant_id', 'idempotency_key'])
          .doUpdateSet({ state: row.state, state_updated_at: row.state_updated_at, updated_at: row.updated_at })
          .where('actions.state', 'in', movableFrom),
      )
      .returning('idempotency_key')
      .executeTakeFirst();
    if (written) await this.recordState(row.tenant_id, row.idempotency_key, row.state, reason, row.updated_at, db);
    return written !== undefined;
  }

  async get(tenantId: string, idempotencyKey: string, db: Db = this.db): Promise<ActionRow | undefined> {
    return db
      .selectFrom('actions')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('idempotency_key', '=', idempotencyKey)
      .executeTakeFirst();
  }

  /** Moves the action to `state`, only from one of `from` when given. */
  async setState(
    tenantId: string,
    idempotencyKey: string,
    change: { state: ActionState; now: number; reason: StateReason; verificationMethod?: string; from?: ActionState[] },
    db: Db = this.db,
  ): Promise<boolean> {
    let query = db
      .updateTable('actions')
      .set({
        state: change.state,
        state_updated_at: change.now,
        updated_at: change.now,
        ...(change.verificationMethod ? { verification_method: change.verificationMethod } : {}),
      })
      .where('tenant_id', '=', tenantId)
      .where('idempotency_key', '=', idempotencyKey);
    if (change.from) query = query.where('state', 'in', change.from);
    const changed = Number((await query.executeTakeFirst()).numUpdatedRows) > 0;
    if (changed) await this.recordState(tenantId, idempotencyKey, change.state, change.reason, change.now, db);
    return changed;
  }

  /** Attributes an anonymous sign-in action to the user who claimed it. */
  async assignUser(tenantId: string, idempotencyKey: string, userId: string, now: number, db: Db = this.db) {
    await db
      .updateTable('actions')
      .set({ user_id: userId, updated_at: now })
      .where('tenant_id', '=', tenantId)
      .where('idempotency_key', '=', idempotencyKey)
      .where('user_id', 'is', null)
      .execute();
  }

  /** Marks a succeeded action as validated; exactly one validation can win. */
  async markValidated(tenantId: string, idempotencyKey: string, now: number): Promise<boolean> {
    const row = await this.db
      .updateTable('actions')
      .set({ validated_at: now })
      .where('tenant_id', '=', tenantId)
      .where('idempotency_key', '=', idempotencyKey)
      .where('state', '=', 'CHALLENGE_SUCCEEDED')
      .where('validated_at', 'is', null)
      .returning('idempotency_key')
      .executeTakeFirst();
    return row !== undefined;
  }

  /** How many actions with this code the user started since `since` (for velocity rules). */
  async countSince(tenantId: string, userId: string, actionCode: string, since: number): Promise<number> {
    const row = await this.db
      .selectFrom('actions')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .where('action_code', '=', actionCode)
      .where('created_at', '>=', since)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async listForUser(
    tenantId: string,
    userId: string,
    q: { from?: number; codes?: string[]; state?: string; limit: number },
  ): Promise<ActionRow[]> {
    let query = this.db
      .selectFrom('actions')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId);
    if (q.from !== undefined) query = query.where('created_at', '>=', q.from);
    if (q.codes && q.codes.length > 0) query = query.where('action_code', 'in', q.codes);
    if (q.state) query = query.where('state', '=', q.state);
    return query.orderBy('created_at', 'desc').limit(q.limit).execute();
  }

  async history(tenantId: string, idempotencyKey: string): Promise<ActionStateChangeRow[]> {
    return this.db
      .selectFrom('action_state_changes')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('idempotency_key', '=', idempotencyKey)
      .orderBy('at')
      .execute();
  }

  private async recordState(tenantId: string, key: string, state: string, reason: StateReason, at: number, db: Db) {
    await db
      .insertInto('action_state_changes')
      .values({ tenant_id: tenantId, idempotency_key: key, state, reason, at })
      .execute();
  }
}

function complete(row: NewAction): ActionRow {
  return { attributes: null, rule_ids: null, priority_rule_id: null, validated_at: null, ...row };
}

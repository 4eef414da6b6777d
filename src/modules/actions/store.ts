import { sql } from 'kysely';
import type { Db } from '../../storage/db.js';
import type { ActionRow, ActionStateChangeRow } from '../../storage/schema.js';
import {
  type ActionEvent,
  createsAction,
  isActionState,
  movableFrom,
  NEW,
  REFUSED,
  type StateReason,
  targetOf,
  transition,
  VALIDATABLE_STATE,
} from './state-machine.js';

export type NewAction = Omit<ActionRow, 'attributes' | 'rule_ids' | 'priority_rule_id' | 'validated_at' | 'outcome'> &
  Partial<Pick<ActionRow, 'attributes' | 'rule_ids' | 'priority_rule_id' | 'outcome'>>;

/** What the simulation reads of one tracked action. */
export type RecordedAction = Pick<ActionRow, 'idempotency_key' | 'user_id' | 'created_at' | 'attributes'> & {
  outcome: string;
};

/**
 * Actions and their state history. Every change of state writes a history row in the same transaction, and
 * takes its target and its allowed `from` states from the state machine (`state-machine.ts`), applied with
 * one conditional statement so that a concurrent change cannot slip past the table.
 */
export class ActionStore {
  constructor(private readonly db: Db) {}

  /** Inserts the action unless its idempotency key exists; true when this call created it. */
  async insertIfAbsent(row: NewAction, reason: 'rules'): Promise<boolean> {
    if (!isActionState(row.state) || transition(NEW, { reason, to: row.state }) === REFUSED) {
      throw new Error(`an action cannot be created in state ${row.state}`);
    }
    const inserted = await this.db
      .insertInto('actions')
      .values(complete(row))
      .onConflict((oc) => oc.columns(['tenant_id', 'idempotency_key']).doNothing())
      .returning('idempotency_key')
      .executeTakeFirst();
    if (inserted) await this.recordState(row.tenant_id, row.idempotency_key, row.state, reason, row.created_at);
    return inserted !== undefined;
  }

  /**
   * Creates the action in the event's state, or moves an existing one with this idempotency key there, but
   * only from the states the table allows: a new challenge must never reopen an action that rules blocked,
   * that awaits review, or that already succeeded. Returns whether the state was written.
   */
  async upsert(row: Omit<NewAction, 'state'>, event: ActionEvent): Promise<boolean> {
    const state = targetOf(event);
    const from = movableFrom(event);
    if (!state || !createsAction(event)) throw new Error(`reason ${event.reason} cannot create an action`);
    const insert = this.db.insertInto('actions').values(complete({ ...row, state }));
    const written = await (from.length === 0
      ? insert.onConflict((oc) => oc.columns(['tenant_id', 'idempotency_key']).doNothing())
      : insert.onConflict((oc) =>
          oc
            .columns(['tenant_id', 'idempotency_key'])
            .doUpdateSet({ state, state_updated_at: row.state_updated_at, updated_at: row.updated_at })
            .where('actions.state', 'in', from),
        )
    )
      .returning('idempotency_key')
      .executeTakeFirst();
    if (written) await this.recordState(row.tenant_id, row.idempotency_key, state, event.reason, row.updated_at);
    return written !== undefined;
  }

  async get(tenantId: string, idempotencyKey: string): Promise<ActionRow | undefined> {
    return this.db
      .selectFrom('actions')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('idempotency_key', '=', idempotencyKey)
      .executeTakeFirst();
  }

  /**
   * Moves the action as `change.event` says, only from a state the table allows for it (one conditional
   * UPDATE). False when the action does not exist or its state refuses the event.
   */
  async setState(
    tenantId: string,
    idempotencyKey: string,
    change: {
      event: ActionEvent;
      now: number;
      verificationMethod?: string;
      /** Who decided, for a change made by hand (migration 012): `operator:<email>`, `key:<id>`. */
      actor?: string;
      /** Only from this state, checked by the same UPDATE (the review queue: only REVIEW_REQUIRED). */
      onlyFrom?: string;
    },
  ): Promise<boolean> {
    const state = targetOf(change.event);
    const from = movableFrom(change.event);
    if (!state || from.length === 0) return false;
    let query = this.db
      .updateTable('actions')
      .set({
        state,
        state_updated_at: change.now,
        updated_at: change.now,
        ...(change.verificationMethod ? { verification_method: change.verificationMethod } : {}),
      })
      .where('tenant_id', '=', tenantId)
      .where('idempotency_key', '=', idempotencyKey)
      .where('state', 'in', from);
    if (change.onlyFrom) query = query.where('state', '=', change.onlyFrom);
    const changed = Number((await query.executeTakeFirst()).numUpdatedRows) > 0;
    if (changed) await this.recordState(tenantId, idempotencyKey, state, change.event.reason, change.now, change.actor);
    return changed;
  }

  /** Attributes an anonymous sign-in action to the user who claimed it. */
  async assignUser(tenantId: string, idempotencyKey: string, userId: string, now: number) {
    await this.db
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
      .where('state', '=', VALIDATABLE_STATE)
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

  /**
   * Every action code the tenant has tracked, with its last sighting: a loose index scan of
   * actions_code_time (the next code after the last one, then that code's newest row), so its cost grows
   * with the number of codes, not of actions.
   */
  async codesLastSeen(tenantId: string): Promise<{ actionCode: string; lastSeenAt: number }[]> {
    const { rows } = await sql<{ code: string; last_seen: number | string }>`
      WITH RECURSIVE codes(code) AS (
        SELECT (SELECT min(action_code) FROM actions WHERE tenant_id = ${tenantId})
        UNION ALL
        SELECT (SELECT min(a.action_code) FROM actions a WHERE a.tenant_id = ${tenantId} AND a.action_code > codes.code)
        FROM codes WHERE codes.code IS NOT NULL
      )
      SELECT code, (SELECT max(b.created_at) FROM actions b WHERE b.tenant_id = ${tenantId} AND b.action_code = codes.code) AS last_seen
      FROM codes WHERE code IS NOT NULL`.execute(this.db);
    return rows.map((r) => ({ actionCode: r.code, lastSeenAt: Number(r.last_seen) }));
  }

  /** Counts by track-time outcome of the given codes' actions since `since`, from actions_code_time alone. */
  async outcomeCounts(tenantId: string, codes: string[], since: number) {
    if (codes.length === 0) return [];
    const rows = await this.db
      .selectFrom('actions')
      .select(['action_code', 'outcome', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('tenant_id', '=', tenantId)
      .where('action_code', 'in', codes)
      .where('created_at', '>=', since)
      .where('outcome', 'is not', null)
      .groupBy(['action_code', 'outcome'])
      .execute();
    return rows.map((r) => ({ actionCode: r.action_code, outcome: r.outcome as string, count: Number(r.n) }));
  }

  /**
   * One page of an action code's tracked actions since `since`, newest first, after the keyset `before`
   * (created_at, idempotency_key) of the previous page: the order of actions_code_time, so each page is
   * one index range whatever its depth.
   */
  async recordedPage(
    tenantId: string,
    actionCode: string,
    since: number,
    before: { createdAt: number; key: string } | undefined,
    limit: number,
  ): Promise<RecordedAction[]> {
    let query = this.db
      .selectFrom('actions')
      .select(['idempotency_key', 'user_id', 'created_at', 'attributes', 'outcome'])
      .where('tenant_id', '=', tenantId)
      .where('action_code', '=', actionCode)
      .where('created_at', '>=', since)
      .where('outcome', 'is not', null);
    if (before) {
      // The plain upper bound gives both databases an index range; the OR only settles same-millisecond ties.
      query = query
        .where('created_at', '<=', before.createdAt)
        .where((eb) =>
          eb.or([
            eb('created_at', '<', before.createdAt),
            eb.and([eb('created_at', '=', before.createdAt), eb('idempotency_key', '<', before.key)]),
          ]),
        );
    }
    const rows = await query.orderBy('created_at', 'desc').orderBy('idempotency_key', 'desc').limit(limit).execute();
    return rows as RecordedAction[];
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

  /** Deletes the user's actions and their state history (deleteUser, in its transaction). */
  async deleteForUser(tenantId: string, userId: string): Promise<void> {
    await this.db
      .deleteFrom('action_state_changes')
      .where('tenant_id', '=', tenantId)
      .where('idempotency_key', 'in', (eb) =>
        eb
          .selectFrom('actions')
          .select('idempotency_key')
          .where('tenant_id', '=', tenantId)
          .where('user_id', '=', userId),
      )
      .execute();
    await this.db.deleteFrom('actions').where('tenant_id', '=', tenantId).where('user_id', '=', userId).execute();
  }

  private async recordState(
    tenantId: string,
    key: string,
    state: string,
    reason: StateReason,
    at: number,
    actor?: string,
  ) {
    await this.db
      .insertInto('action_state_changes')
      .values({ tenant_id: tenantId, idempotency_key: key, state, reason, at, ...(actor ? { actor } : {}) })
      .execute();
  }
}

function complete(row: NewAction): ActionRow {
  return { attributes: null, rule_ids: null, priority_rule_id: null, validated_at: null, outcome: null, ...row };
}

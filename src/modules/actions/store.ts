import type { Db } from '../../storage/db.js';
import type { ActionRow } from '../../storage/schema.js';
import type { ActionState } from './actions.js';

export class ActionStore {
  constructor(private readonly db: Db) {}

  /** Creates the action, or moves an existing one with this idempotency key to the row's state. */
  async upsert(row: ActionRow, db: Db = this.db): Promise<void> {
    await db
      .insertInto('actions')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'idempotency_key']).doUpdateSet({
          state: row.state,
          state_updated_at: row.state_updated_at,
          updated_at: row.updated_at,
        }),
      )
      .execute();
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
    change: { state: ActionState; now: number; verificationMethod?: string; from?: ActionState[] },
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
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
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
}

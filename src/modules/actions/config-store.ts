import type { Db } from '../../storage/db.js';
import type { ActionConfigurationRow, RuleRow } from '../../storage/schema.js';

/** Action configurations and their rules, always scoped by tenant. */
export class ActionConfigStore {
  constructor(private readonly db: Db) {}

  async getConfig(tenantId: string, actionCode: string): Promise<ActionConfigurationRow | undefined> {
    return this.db
      .selectFrom('action_configurations')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('action_code', '=', actionCode)
      .executeTakeFirst();
  }

  async listConfigs(tenantId: string): Promise<ActionConfigurationRow[]> {
    return this.db
      .selectFrom('action_configurations')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('action_code')
      .execute();
  }

  /** Inserts; false when the action already has a configuration. */
  async insertConfig(row: ActionConfigurationRow): Promise<boolean> {
    const inserted = await this.db
      .insertInto('action_configurations')
      .values(row)
      .onConflict((oc) => oc.columns(['tenant_id', 'action_code']).doNothing())
      .returning('action_code')
      .executeTakeFirst();
    return inserted !== undefined;
  }

  async updateConfig(
    tenantId: string,
    actionCode: string,
    change: Pick<ActionConfigurationRow, 'default_user_action_result' | 'settings' | 'updated_at'>,
  ): Promise<ActionConfigurationRow | undefined> {
    return this.db
      .updateTable('action_configurations')
      .set(change)
      .where('tenant_id', '=', tenantId)
      .where('action_code', '=', actionCode)
      .returningAll()
      .executeTakeFirst();
  }

  /** Deletes the configuration and its rules. */
  async deleteConfig(tenantId: string, actionCode: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('rules').where('tenant_id', '=', tenantId).where('action_code', '=', actionCode).execute();
      const result = await trx
        .deleteFrom('action_configurations')
        .where('tenant_id', '=', tenantId)
        .where('action_code', '=', actionCode)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  async listRules(tenantId: string, actionCode: string): Promise<RuleRow[]> {
    return this.db
      .selectFrom('rules')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('action_code', '=', actionCode)
      .orderBy('priority')
      .orderBy('created_at')
      .execute();
  }

  async getRule(tenantId: string, actionCode: string, ruleId: string): Promise<RuleRow | undefined> {
    return this.db
      .selectFrom('rules')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('action_code', '=', actionCode)
      .where('id', '=', ruleId)
      .executeTakeFirst();
  }

  async insertRule(row: RuleRow): Promise<void> {
    await this.db.insertInto('rules').values(row).execute();
  }

  async updateRule(row: RuleRow): Promise<void> {
    const { id, tenant_id, action_code, created_at, ...change } = row;
    await this.db
      .updateTable('rules')
      .set(change)
      .where('tenant_id', '=', tenant_id)
      .where('action_code', '=', action_code)
      .where('id', '=', id)
      .execute();
  }

  async deleteRule(tenantId: string, actionCode: string, ruleId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('rules')
      .where('tenant_id', '=', tenantId)
      .where('action_code', '=', actionCode)
      .where('id', '=', ruleId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

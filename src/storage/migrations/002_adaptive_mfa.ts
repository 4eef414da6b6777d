import type { Kysely } from 'kysely';

/** Adaptive MFA: action configurations and rules, devices, the action's record and its state history. */
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema types.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('action_configurations')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('action_code', 'text', (c) => c.notNull())
    .addColumn('default_user_action_result', 'text', (c) => c.notNull())
    .addColumn('settings', 'text', (c) => c.notNull()) // verificationMethods and the rest, as JSON
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('action_configurations_pk', ['tenant_id', 'action_code'])
    .execute();

  await db.schema
    .createTable('rules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('action_code', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('is_active', 'integer', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('conditions', 'text', (c) => c.notNull())
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('rules_action').on('rules').columns(['tenant_id', 'action_code']).execute();

  await db.schema
    .createTable('devices')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('devices_pk', ['tenant_id', 'user_id', 'device_id'])
    .execute();

  // Append-only and read per action, so no key of its own: SQLite appends by rowid instead of placing a
  // random key in one more B-tree on every change of state (it showed in the sign-in benchmark).
  await db.schema
    .createTable('action_state_changes')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('idempotency_key', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('action_state_changes_action')
    .on('action_state_changes')
    .columns(['tenant_id', 'idempotency_key', 'at'])
    .execute();

  for (const [column, type] of [
    ['attributes', 'text'],
    ['rule_ids', 'text'],
    ['priority_rule_id', 'text'],
    ['validated_at', 'bigint'],
  ] as const) {
    await db.schema.alterTable('actions').addColumn(column, type).execute();
  }
  // Velocity counts use actions_user (tenant_id, user_id, created_at) and filter the action code.

  // The authenticator a Client API enrollment will create, named before its code is verified.
  await db.schema.alterTable('challenges').addColumn('authenticator_id', 'text').execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see above.
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('challenges').dropColumn('authenticator_id').execute();
  for (const column of ['validated_at', 'priority_rule_id', 'rule_ids', 'attributes']) {
    await db.schema.alterTable('actions').dropColumn(column).execute();
  }
  for (const table of ['action_state_changes', 'devices', 'rules', 'action_configurations']) {
    await db.schema.dropTable(table).execute();
  }
}

import type { Kysely } from 'kysely';

/**
 * The audit log (src/modules/audit): one row per write through the Management API or the portal. Read
 * newest first per tenant by keyset on (at, id), alone or filtered by actor or action, so each filter has
 * an index that ends in (at, id); the retention sweep runs across tenants, by `at` alone.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema types.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('actor_kind', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text', (c) => c.notNull())
    .addColumn('actor_email', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('route', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('ip_address', 'text')
    .addColumn('before_json', 'text')
    .addColumn('after_json', 'text')
    .addColumn('request_json', 'text')
    .execute();
  await db.schema.createIndex('audit_log_tenant_at').on('audit_log').columns(['tenant_id', 'at', 'id']).execute();
  await db.schema
    .createIndex('audit_log_tenant_actor')
    .on('audit_log')
    .columns(['tenant_id', 'actor_id', 'at', 'id'])
    .execute();
  await db.schema
    .createIndex('audit_log_tenant_email')
    .on('audit_log')
    .columns(['tenant_id', 'actor_email', 'at', 'id'])
    .execute();
  await db.schema
    .createIndex('audit_log_tenant_action')
    .on('audit_log')
    .columns(['tenant_id', 'action', 'at', 'id'])
    .execute();
  await db.schema.createIndex('audit_log_at').on('audit_log').columns(['at']).execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see above.
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_log').execute();
}

import type { Kysely } from 'kysely';

/**
 * Delivery receipts (each kept once, matched to its send attempt by the vendor's message ID) and
 * each tenant's message settings: per-locale templates, the WebOTP domain and the Android app hash.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema types.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('sms_sends_provider_message')
    .on('sms_sends')
    .columns(['tenant_id', 'provider', 'provider_message_id'])
    .execute();

  await db.schema
    .createTable('sms_receipts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('provider_message_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('vendor_status', 'text', (c) => c.notNull())
    .addColumn('error_code', 'text')
    .addColumn('dedupe_key', 'text', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('sms_receipts_once', ['tenant_id', 'provider', 'dedupe_key'])
    .execute();
  await db.schema
    .createIndex('sms_receipts_message')
    .on('sms_receipts')
    .columns(['tenant_id', 'provider', 'provider_message_id'])
    .execute();

  await db.schema
    .createTable('sms_message_settings')
    .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see above.
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('sms_message_settings').execute();
  await db.schema.dropTable('sms_receipts').execute();
  await db.schema.dropIndex('sms_sends_provider_message').execute();
}

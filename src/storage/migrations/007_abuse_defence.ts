import { type Kysely, SqliteAdapter, sql } from 'kysely';

/**
 * Abuse defence (src/modules/limits): each tenant's SMS policy as one document; the counters behind every
 * limit when Redis is not configured (one row per key, reset when its window has passed); and one decision
 * record per send or submission, allowed or refused, with one row per defence that it triggered.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema types.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sms_policies')
    .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
    .addColumn('policy', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  // On SQLite a table keyed by text is cheaper WITHOUT ROWID: one B-tree instead of a rowid table and a
  // key index, and counters are written on every send and every code check.
  const withoutRowid = db.getExecutor().adapter instanceof SqliteAdapter;
  await db.schema
    .createTable('limit_counters')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('points', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .$call((t) => (withoutRowid ? t.modifyEnd(sql`without rowid`) : t))
    .execute();
  await db.schema.createIndex('limit_counters_expires').on('limit_counters').columns(['expires_at']).execute();
  await db.schema
    .createTable('sms_decisions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('defence', 'text')
    .addColumn('challenge_id', 'text')
    .addColumn('phone_number', 'text', (c) => c.notNull())
    .addColumn('country', 'text')
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('ip_address', 'text')
    .addColumn('user_id', 'text')
    .addColumn('provider', 'text')
    .execute();
  await db.schema.createIndex('sms_decisions_tenant_at').on('sms_decisions').columns(['tenant_id', 'at']).execute();
  await db.schema
    .createIndex('sms_decisions_challenge')
    .on('sms_decisions')
    .columns(['tenant_id', 'challenge_id'])
    .execute();
  await db.schema
    .createTable('sms_decision_triggers')
    .addColumn('decision_id', 'text', (c) => c.notNull().references('sms_decisions.id').onDelete('cascade'))
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('defence', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('retry_after_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('sms_decision_triggers_pk', ['decision_id', 'defence'])
    .execute();
  await db.schema
    .createIndex('sms_decision_triggers_tenant_at')
    .on('sms_decision_triggers')
    .columns(['tenant_id', 'at'])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see above.
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('sms_decision_triggers').execute();
  await db.schema.dropTable('sms_decisions').execute();
  await db.schema.dropTable('limit_counters').execute();
  await db.schema.dropTable('sms_policies').execute();
}

import type { Kysely } from 'kysely';

/**
 * Portal operators (src/modules/operators): accounts (email, argon2id password hash, TOTP secret encrypted
 * under the master key), their memberships of tenants with a role, their portal sessions (the cookie's
 * token only as SHA-256), one-time links (sign-in links and invitations, also as SHA-256) and recovery
 * codes (SHA-256, each used once). A tenant's deletion takes its memberships and invitations with it; an
 * account's deletion takes everything of its own.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema types.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('operator_accounts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // Stored trimmed and lower-cased, so that the unique constraint is case-insensitive on both databases.
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('password_hash', 'text')
    .addColumn('totp_secret_enc', 'text')
    .addColumn('totp_pending_enc', 'text')
    .addColumn('totp_last_counter', 'bigint')
    .addColumn('totp_enabled_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('operator_memberships')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('account_id', 'text', (c) => c.notNull().references('operator_accounts.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('operator_memberships_pk', ['tenant_id', 'account_id'])
    .execute();
  await db.schema
    .createIndex('operator_memberships_account')
    .on('operator_memberships')
    .columns(['account_id'])
    .execute();

  await db.schema
    .createTable('operator_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('account_id', 'text', (c) => c.notNull().references('operator_accounts.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('reauthenticated_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .addColumn('ip_address', 'text')
    .addColumn('user_agent', 'text')
    .execute();
  await db.schema
    .createIndex('operator_sessions_account')
    .on('operator_sessions')
    .columns(['account_id', 'expires_at'])
    .execute();
  await db.schema.createIndex('operator_sessions_expires').on('operator_sessions').columns(['expires_at']).execute();

  await db.schema
    .createTable('operator_links')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text', (c) => c.references('tenants.id').onDelete('cascade'))
    .addColumn('role', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('operator_links_tenant')
    .on('operator_links')
    .columns(['tenant_id', 'kind', 'expires_at'])
    .execute();

  await db.schema
    .createTable('operator_recovery_codes')
    .addColumn('account_id', 'text', (c) => c.notNull().references('operator_accounts.id').onDelete('cascade'))
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addPrimaryKeyConstraint('operator_recovery_codes_pk', ['account_id', 'code_hash'])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see above.
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('operator_recovery_codes').execute();
  await db.schema.dropTable('operator_links').execute();
  await db.schema.dropTable('operator_sessions').execute();
  await db.schema.dropTable('operator_memberships').execute();
  await db.schema.dropTable('operator_accounts').execute();
}

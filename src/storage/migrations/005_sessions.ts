import type { Kysely } from 'kysely';

/**
 * Sessions (docs/wire-protocol.md §4.9): session clients (an app and its token lifetimes), sessions made from a succeeded
 * challenge, and their refresh tokens, kept only as SHA-256 hashes.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema types.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('session_clients')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('access_ttl_seconds', 'integer', (c) => c.notNull())
    .addColumn('refresh_ttl_seconds', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('session_clients_tenant').on('session_clients').columns(['tenant_id']).execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('client_id', 'text', (c) => c.notNull().references('session_clients.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('idempotency_key', 'text', (c) => c.notNull())
    .addColumn('verification_method', 'text')
    .addColumn('access_jti', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('refreshed_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .addColumn('revoked_reason', 'text')
    // One succeeded challenge makes one session, whichever of its tokens is presented, even under concurrency.
    .addUniqueConstraint('sessions_one_per_challenge', ['tenant_id', 'idempotency_key'])
    .execute();
  await db.schema.createIndex('sessions_user').on('sessions').columns(['tenant_id', 'user_id']).execute();
  await db.schema.createIndex('sessions_client').on('sessions').columns(['client_id']).execute();

  await db.schema
    .createTable('session_refresh_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('session_id', 'text', (c) => c.notNull().references('sessions.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('session_refresh_tokens_session')
    .on('session_refresh_tokens')
    .columns(['session_id'])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see above.
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('session_refresh_tokens').execute();
  await db.schema.dropTable('sessions').execute();
  await db.schema.dropTable('session_clients').execute();
}

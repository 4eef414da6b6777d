import type { Kysely } from 'kysely';

/**
 * Indexes for the sweep of dead sessions (SessionService.purge): refresh tokens by expiry, and sessions by
 * revocation time. The sweep runs across tenants, so neither index leads with tenant_id. Rotation's delete of
 * a session's expired tokens uses the existing session_refresh_tokens_session index.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema types.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('session_refresh_tokens_expires')
    .on('session_refresh_tokens')
    .columns(['expires_at'])
    .execute();
  await db.schema.createIndex('sessions_revoked').on('sessions').columns(['revoked_at']).execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see above.
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('sessions_revoked').execute();
  await db.schema.dropIndex('session_refresh_tokens_expires').execute();
}

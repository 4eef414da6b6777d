import type { Kysely } from 'kysely';

/**
 * API key lifecycle (docs/api-keys.md): a name, a hint (the secret's prefix and last four characters,
 * written at creation; keys made before this migration have none, since only their hash is known), the
 * end of a rotation's grace period, and when the key was last used (written at most once a minute).
 * SQLite adds one column per ALTER TABLE, so each is its own statement.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema types.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api_keys').addColumn('name', 'text').execute();
  await db.schema.alterTable('api_keys').addColumn('hint', 'text').execute();
  await db.schema.alterTable('api_keys').addColumn('expires_at', 'bigint').execute();
  await db.schema.alterTable('api_keys').addColumn('last_used_at', 'bigint').execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see above.
export async function down(db: Kysely<any>): Promise<void> {
  for (const column of ['last_used_at', 'expires_at', 'hint', 'name']) {
    await db.schema.alterTable('api_keys').dropColumn(column).execute();
  }
}

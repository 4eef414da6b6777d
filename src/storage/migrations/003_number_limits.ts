import type { Kysely } from 'kysely';

/** Counting the codes sent to a number in the last hour (SMS-pumping defence) needs this index. */
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema types.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('challenges_phone')
    .on('challenges')
    .columns(['tenant_id', 'phone_number', 'last_sent_at'])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see above.
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('challenges_phone').execute();
}

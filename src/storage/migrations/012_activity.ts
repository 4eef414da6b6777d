import { type Kysely, sql } from 'kysely';

/**
 * For the portal's users, activity, action detail and review queue (issue 11):
 * - `challenge_wrong_codes`: each wrong code submitted, with its time and attempt number (the challenge row
 *   keeps only the count), written by verify in its transaction.
 * - `action_state_changes.actor`: who decided a change made by hand (`operator:<email>`, `key:<id>`).
 * - `users.phone_reversed` and `authenticators.phone_reversed`: the number's digits reversed, so "ends in
 *   1234" is a prefix range (`>= '4321' AND < '4321:'`) on a plain index, on SQLite and PostgreSQL alike.
 * - indexes for every list the portal pages: users newest first, users by lower(email), actions by state for
 *   the review queue, actions and challenges by user and time with the keyset's tie-breaker.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema types.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('challenge_wrong_codes')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('challenge_id', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('challenge_wrong_codes_pk', ['tenant_id', 'challenge_id', 'attempt'])
    .execute();
  await db.schema.alterTable('action_state_changes').addColumn('actor', 'text').execute();
  await db.schema.alterTable('users').addColumn('phone_reversed', 'text').execute();
  await db.schema.alterTable('authenticators').addColumn('phone_reversed', 'text').execute();
  for (const table of ['users', 'authenticators'] as const) {
    // Existing rows: SQLite has no reverse(), so the digits are reversed here (one pass, at upgrade).
    const keyCols = table === 'users' ? ['tenant_id', 'user_id'] : ['tenant_id', 'id'];
    const rows = await db
      .selectFrom(table)
      .select([...keyCols, 'phone_number'])
      .where('phone_number', 'is not', null)
      .execute();
    for (const row of rows) {
      let update = db.updateTable(table).set({ phone_reversed: reversedDigits(row.phone_number) });
      for (const col of keyCols) update = update.where(col, '=', row[col]);
      await update.execute();
    }
    await db.schema.createIndex(`${table}_phone_reversed`).on(table).columns(['tenant_id', 'phone_reversed']).execute();
  }
  await db.schema.createIndex('users_newest').on('users').columns(['tenant_id', 'created_at', 'user_id']).execute();
  await sql`CREATE INDEX users_email_lower ON users (tenant_id, lower(email))`.execute(db);
  // The keyset's tie-breaker in the index, so a user's page stops after `limit` rows on PostgreSQL too.
  await db.schema
    .createIndex('actions_user_keyset')
    .on('actions')
    .columns(['tenant_id', 'user_id', 'created_at', 'idempotency_key'])
    .execute();
  await db.schema
    .createIndex('challenges_user_keyset')
    .on('challenges')
    .columns(['tenant_id', 'user_id', 'created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('actions_state_time')
    .on('actions')
    .columns(['tenant_id', 'state', 'created_at', 'idempotency_key'])
    .execute();
}

/** A copy of users/phone-digits.ts's rule: migrations must not import the code they run before. */
function reversedDigits(phone: string): string | null {
  const digits = phone.replace(/\D/g, '');
  return digits === '' ? null : [...digits].reverse().join('');
}

// biome-ignore lint/suspicious/noExplicitAny: see above.
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('actions_state_time').execute();
  await db.schema.dropIndex('challenges_user_keyset').execute();
  await db.schema.dropIndex('actions_user_keyset').execute();
  await db.schema.dropIndex('users_email_lower').execute();
  await db.schema.dropIndex('users_newest').execute();
  for (const table of ['users', 'authenticators'] as const) {
    await db.schema.dropIndex(`${table}_phone_reversed`).execute();
    await db.schema.alterTable(table).dropColumn('phone_reversed').execute();
  }
  await db.schema.alterTable('action_state_changes').dropColumn('actor').execute();
  await db.schema.dropTable('challenge_wrong_codes').execute();
}

import { type Kysely, sql } from 'kysely';

/**
 * For the portal's actions page and the rule simulation:
 * - `actions.outcome`, the state the rules gave the action when it was tracked (ALLOW, CHALLENGE_REQUIRED,
 *   REVIEW_REQUIRED or BLOCK). `state` moves on (a challenge succeeds, a reviewer decides), so counts by
 *   outcome and the simulation's "from" need what track decided. Null for actions that track did not
 *   create (a challenge started without one). Existing rows get it from their first history row.
 * - `actions_code_time` (tenant_id, action_code, created_at, idempotency_key, outcome): each code's last
 *   sighting and its last-24-hours counts by outcome from the index alone, and the simulation's keyset
 *   pages over one code's recent actions in index order.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema types.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('actions').addColumn('outcome', 'text').execute();
  await sql`UPDATE actions SET outcome = (
      SELECT s.state FROM action_state_changes s
      WHERE s.tenant_id = actions.tenant_id AND s.idempotency_key = actions.idempotency_key AND s.reason = 'rules'
      LIMIT 1)
    WHERE rule_ids IS NOT NULL`.execute(db);
  await db.schema
    .createIndex('actions_code_time')
    .on('actions')
    .columns(['tenant_id', 'action_code', 'created_at', 'idempotency_key', 'outcome'])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see above.
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('actions_code_time').execute();
  await db.schema.alterTable('actions').dropColumn('outcome').execute();
}

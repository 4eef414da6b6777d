import { type CreateTableBuilder, type Kysely, sql } from 'kysely';

/**
 * For the portal's message log and dashboard (issue 11). Each send attempt carries what the log filters on
 * and the dashboard counts, so that both are one indexed query over `sms_sends` rather than joins:
 * - `country`, `prefix` (calling code and two digits, as the limits group numbers) and `user_id`, written with
 *   the attempt from the send's decision record;
 * - `segments`: how many SMS parts the message was, for the estimated cost;
 * - `status`: sent, delivered or failed (failed at the vendor, or by the carrier's final receipt), with
 *   `status_at` (when the final receipt came, for delivery latency) and `status_reason` (the receipt's error);
 * - `verified_at`: set on the challenge's last accepted attempt when its code is verified, for conversion.
 * Rows from before this migration get what can be derived: status from outcome and receipts, the user from the
 * challenge, country and prefix from the decision record, verified_at from the challenge; segments stay null.
 * Refused sends live in `sms_decisions`; a partial index lists them newest first. `sms_hourly` counts the
 * attempts by hour for the dashboard. `sms_prices` holds the optional per-country price table of the
 * estimated cost.
 */
const COLUMNS = [
  ['country', 'text'],
  ['prefix', 'text'],
  ['user_id', 'text'],
  ['segments', 'integer'],
  ['status', 'text'],
  ['status_at', 'bigint'],
  ['status_reason', 'text'],
  ['verified_at', 'bigint'],
] as const;

/** An hourly cell's key: everything the summary groups or counts by. */
const CELL_KEY = [
  'tenant_id',
  'hour',
  'country',
  'prefix',
  'provider',
  'status',
  'accepted',
  'verified',
  'bucket',
  'reason',
] as const;

function withCellColumns(table: CreateTableBuilder<string, never>): CreateTableBuilder<string, string> {
  let t: CreateTableBuilder<string, string> = table.addColumn('tenant_id', 'text', (c) =>
    c.notNull().references('tenants.id').onDelete('cascade'),
  );
  for (const name of CELL_KEY.slice(1)) {
    const type = name === 'hour' ? 'bigint' : ['accepted', 'verified', 'bucket'].includes(name) ? 'integer' : 'text';
    t = t.addColumn(name, type, (c) => c.notNull());
  }
  return t.addColumn('count', 'bigint', (c) => c.notNull()).addColumn('segments', 'bigint', (c) => c.notNull());
}

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema types.
export async function up(db: Kysely<any>): Promise<void> {
  for (const [name, type] of COLUMNS) await db.schema.alterTable('sms_sends').addColumn(name, type).execute();

  await sql`UPDATE sms_sends SET status = CASE WHEN outcome = 'accepted' THEN 'sent' ELSE 'failed' END`.execute(db);
  await sql`UPDATE sms_sends SET
      user_id = (SELECT c.user_id FROM challenges c WHERE c.tenant_id = sms_sends.tenant_id AND c.id = sms_sends.challenge_id),
      country = (SELECT d.country FROM sms_decisions d WHERE d.tenant_id = sms_sends.tenant_id
                 AND d.challenge_id = sms_sends.challenge_id AND d.kind = 'send' ORDER BY d.at DESC LIMIT 1),
      prefix = (SELECT d.prefix FROM sms_decisions d WHERE d.tenant_id = sms_sends.tenant_id
                AND d.challenge_id = sms_sends.challenge_id AND d.kind = 'send' ORDER BY d.at DESC LIMIT 1)`.execute(
    db,
  );
  // The latest final receipt decides, as the delivery timeline reads it.
  await sql`UPDATE sms_sends SET
      status = (SELECT r.status FROM sms_receipts r WHERE r.tenant_id = sms_sends.tenant_id AND r.provider = sms_sends.provider
                AND r.provider_message_id = sms_sends.provider_message_id AND r.status <> 'sent'
                ORDER BY r.received_at DESC LIMIT 1),
      status_at = (SELECT r.received_at FROM sms_receipts r WHERE r.tenant_id = sms_sends.tenant_id AND r.provider = sms_sends.provider
                AND r.provider_message_id = sms_sends.provider_message_id AND r.status <> 'sent'
                ORDER BY r.received_at DESC LIMIT 1)
    WHERE outcome = 'accepted' AND EXISTS (SELECT 1 FROM sms_receipts r WHERE r.tenant_id = sms_sends.tenant_id
      AND r.provider = sms_sends.provider AND r.provider_message_id = sms_sends.provider_message_id AND r.status <> 'sent')`.execute(
    db,
  );
  await sql`UPDATE sms_sends SET verified_at = (SELECT c.verified_at FROM challenges c
      WHERE c.tenant_id = sms_sends.tenant_id AND c.id = sms_sends.challenge_id)
    WHERE id = (SELECT s.id FROM sms_sends s WHERE s.tenant_id = sms_sends.tenant_id AND s.challenge_id = sms_sends.challenge_id
                AND s.outcome = 'accepted' ORDER BY s.created_at DESC, s.attempt DESC LIMIT 1)`.execute(db);

  // The message log, newest first, by each filter; the tie-breaker in each index keeps the keyset exact.
  for (const column of [null, 'status', 'provider', 'country', 'prefix', 'user_id'] as const) {
    await db.schema
      .createIndex(column ? `sms_sends_${column}_time` : 'sms_sends_time')
      .on('sms_sends')
      .columns(column ? ['tenant_id', column, 'created_at', 'id'] : ['tenant_id', 'created_at', 'id'])
      .execute();
  }
  // Refused sends, newest first, alone and by each filter the log offers for them (partial: only refusals,
  // which an attack makes many of, and never the allowed sends).
  for (const column of [null, 'country', 'prefix', 'user_id'] as const) {
    await db.schema
      .createIndex(column ? `sms_decisions_refused_${column}` : 'sms_decisions_refused')
      .on('sms_decisions')
      .columns(column ? ['tenant_id', column, 'at', 'id'] : ['tenant_id', 'at', 'id'])
      .where(sql.ref('kind'), '=', 'send')
      .where(sql.ref('outcome'), '=', 'refused')
      .execute();
  }
  // The outcomes chart reads these three columns only: the index covers it.
  await db.schema
    .createIndex('actions_outcomes')
    .on('actions')
    .columns(['tenant_id', 'created_at', 'action_code', 'outcome'])
    .execute();

  // The dashboard's counts, kept as each attempt, receipt and verification is written: a month's summary
  // reads a few thousand cells instead of every attempt. Filled here from what is stored.
  const cells = db.schema.createTable('sms_hourly');
  await withCellColumns(cells)
    .addPrimaryKeyConstraint('sms_hourly_pk', [...CELL_KEY])
    .execute();
  // Changes written with each attempt, receipt and verification, folded into the cells every second.
  const deltas = db.schema.createTable('sms_hourly_deltas').addColumn('id', 'text', (c) => c.primaryKey());
  await withCellColumns(deltas).execute();
  // A copy of sms/hourly.ts's rebuildHourly, for every tenant: migrations must not import the code they run before.
  const bounds = [
    250, 500, 1_000, 2_000, 3_000, 5_000, 7_500, 10_000, 15_000, 20_000, 30_000, 45_000, 60_000, 120_000, 300_000,
    600_000, 1_800_000,
  ];
  const bucket = sql.join(
    bounds.map((bound, i) => sql`when status_at - created_at <= ${sql.lit(bound)} then ${sql.lit(i)}`),
    sql` `,
  );
  await sql`INSERT INTO sms_hourly (tenant_id, hour, country, prefix, provider, status, accepted, verified, bucket, reason, count, segments)
    SELECT tenant_id, created_at / 3600000, coalesce(country, ''), coalesce(prefix, ''), provider, status,
      case when outcome = 'accepted' then 1 else 0 end, case when verified_at is null then 0 else 1 end,
      case when status = 'delivered' and status_at is not null then case ${bucket} else ${sql.lit(bounds.length)} end else -1 end,
      case when status = 'failed' then coalesce(error, status_reason, '') else '' end,
      count(*), coalesce(sum(segments), 0)
    FROM sms_sends GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10`.execute(db);

  await db.schema
    .createTable('sms_prices')
    .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('per_segment', 'text', (c) => c.notNull())
    .addColumn('default_price', 'double precision')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see above.
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('sms_prices').execute();
  await db.schema.dropIndex('actions_outcomes').execute();
  for (const column of [null, 'country', 'prefix', 'user_id'] as const) {
    await db.schema.dropIndex(column ? `sms_decisions_refused_${column}` : 'sms_decisions_refused').execute();
  }
  await db.schema.dropTable('sms_hourly_deltas').execute();
  await db.schema.dropTable('sms_hourly').execute();
  for (const column of [null, 'status', 'provider', 'country', 'prefix', 'user_id'] as const) {
    await db.schema.dropIndex(column ? `sms_sends_${column}_time` : 'sms_sends_time').execute();
  }
  for (const [name] of [...COLUMNS].reverse()) await db.schema.alterTable('sms_sends').dropColumn(name).execute();
}

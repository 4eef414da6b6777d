/**
 * The activity pages' API (issue 11): users search and detail, a user's activity, action and challenge
 * detail, the review queue and the message log, each within 300 ms at p95, and the dashboard's 30-day
 * summaries within 1 s, with many challenges, send attempts and actions seeded.
 *
 *   npx tsx bench/activity-api.ts --db sqlite|postgres|both [--rows 1000000] [--calls 40] [--pg-url URL] [--skip-build]
 *
 * Seeds `--rows` actions (one in 7 REVIEW_REQUIRED), challenges and send attempts (over 30 days; a tenth as many
 * users and refused sends) straight into the
 * server's database (bulk inserts, not measured), then calls each route `--calls` times with the management key.
 */
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { rebuildHourly } from '../src/modules/sms/hourly.js';
import { reversedDigits } from '../src/modules/users/search.js';
import { openDatabase } from '../src/storage/db.js';
import type { ActionRow, ChallengeRow, SmsDecisionRow, SmsSendRow, UserRow } from '../src/storage/schema.js';
import { managementCall, median, p95, withSeededServer } from './lib/management.js';
import { build } from './lib/server.js';

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'both' },
    rows: { type: 'string', default: '1000000' },
    calls: { type: 'string', default: '40' },
    'pg-url': { type: 'string', default: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
    'skip-build': { type: 'boolean', default: false },
  },
});
const ROWS = Number(values.rows);
const USERS = Math.max(1, Math.floor(ROWS / 10));
const CALLS = Number(values.calls);
const DAY = 86_400_000;
const now = Date.now();
const iso = (ms: number) => encodeURIComponent(new Date(ms).toISOString());
const phoneOf = (i: number) => `+6421${String(i).padStart(7, '0')}`;

async function seed(url: string, schema: string | undefined, tenantId: string) {
  const started = Date.now();
  const { db } = await openDatabase({ url, schema });
  const batches = async <T>(count: number, make: (i: number) => T, insert: (rows: T[]) => Promise<unknown>) => {
    for (let done = 0; done < count; done += 1000) {
      await insert(Array.from({ length: Math.min(1000, count - done) }, (_, i) => make(done + i)));
    }
  };
  await batches<UserRow>(
    USERS,
    (i) => ({
      tenant_id: tenantId,
      user_id: `user-${i}`,
      email: `user-${i}@example.com`,
      email_verified: 0,
      phone_number: phoneOf(i),
      phone_number_verified: 1,
      username: null,
      display_name: null,
      custom: null,
      locale: null,
      created_at: now - (i % 365) * DAY,
      updated_at: now,
      phone_reversed: reversedDigits(phoneOf(i)),
    }),
    (rows) => db.insertInto('users').values(rows).execute(),
  );
  const key = (i: number) => `k${i.toString(36)}`;
  await batches<ActionRow>(
    ROWS,
    (i) => ({
      tenant_id: tenantId,
      idempotency_key: key(i),
      user_id: `user-${i % USERS}`,
      action_code: `code-${i % 10}`,
      state: i % 7 === 0 ? 'REVIEW_REQUIRED' : 'CHALLENGE_SUCCEEDED',
      state_updated_at: now,
      verification_method: null,
      created_at: now - ((i * 104_729) % (30 * DAY)),
      updated_at: now,
      attributes: JSON.stringify({ ipAddress: '203.0.113.9', deviceId: 'd', userAgent: 'ua' }),
      rule_ids: '[]',
      priority_rule_id: null,
      validated_at: null,
      outcome: 'CHALLENGE_REQUIRED',
    }),
    (rows) => db.insertInto('actions').values(rows).execute(),
  );
  await batches<ChallengeRow>(
    ROWS,
    (i) => ({
      id: `c${i.toString(36)}`,
      tenant_id: tenantId,
      idempotency_key: key(i),
      user_id: `user-${i % USERS}`,
      action_code: `code-${i % 10}`,
      verification_method: 'SMS',
      phone_number: phoneOf(i % USERS),
      scope: null,
      locale: null,
      code_hash: 'x',
      attempts: 0,
      max_attempts: 5,
      send_count: 1,
      last_sent_at: now,
      created_at: now - ((i * 104_729) % (30 * DAY)),
      expires_at: now - DAY,
      verified_at: null,
      claimed_at: null,
      claimed_user_id: null,
      failed_reason: null,
      authenticator_id: null,
    }),
    (rows) => db.insertInto('challenges').values(rows).execute(),
  );
  await batches<SmsSendRow>(
    ROWS,
    (i) => ({
      id: `s${i.toString(36)}`,
      tenant_id: tenantId,
      challenge_id: `c${i.toString(36)}`,
      provider: 'dev',
      attempt: 1,
      outcome: 'accepted',
      provider_message_id: `m${i}`,
      error: null,
      latency_ms: 40,
      created_at: now - ((i * 104_729) % (30 * DAY)),
      country: i % 5 === 0 ? 'AU' : 'NZ',
      prefix: i % 5 === 0 ? '6141' : '6421',
      user_id: `user-${i % USERS}`,
      segments: 1,
      // Three in four delivered (after 1 to 8 s), one in ten failed, the rest without a receipt.
      status: i % 10 === 9 ? 'failed' : i % 4 === 3 ? 'sent' : 'delivered',
      status_at: i % 10 === 9 || i % 4 === 3 ? null : now - ((i * 104_729) % (30 * DAY)) + 1000 + (i % 7000),
      status_reason: i % 10 === 9 ? '30003' : null,
      verified_at: i % 3 === 0 ? now : null,
    }),
    (rows) => db.insertInto('sms_sends').values(rows).execute(),
  );
  // One refused send in ten, as the limits record them.
  await batches<SmsDecisionRow>(
    Math.floor(ROWS / 10),
    (i) => ({
      id: `d${i.toString(36)}`,
      tenant_id: tenantId,
      at: now - ((i * 7_919) % (30 * DAY)),
      kind: 'send',
      outcome: 'refused',
      defence: i % 2 ? 'sending_limit' : 'ip_limit',
      challenge_id: `c${i.toString(36)}`,
      phone_number: phoneOf(i % USERS),
      country: 'NZ',
      prefix: '6421',
      ip_address: '203.0.113.9',
      user_id: `user-${i % USERS}`,
      provider: null,
    }),
    (rows) => db.insertInto('sms_decisions').values(rows).execute(),
  );
  // The dashboard's hourly counts, as the server keeps them while it sends.
  await rebuildHourly(db, tenantId);
  if (!schema) await sql`ANALYZE`.execute(db);
  await db.destroy();
  console.log(
    `   seeded ${USERS} users and ${ROWS} actions, challenges and sends in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
}

const user = `user-${Math.floor(USERS / 2)}`;
const CALLS_LIST = [
  '/users',
  `/users?query=${encodeURIComponent(phoneOf(Math.floor(USERS / 2)))}`,
  `/users?query=${phoneOf(Math.floor(USERS / 2)).slice(-5)}`,
  `/users?query=USER-${Math.floor(USERS / 2)}%40example.com`,
  `/users/${user}`,
  `/users/${user}/activity`,
  '/actions/k7',
  '/challenges/c7',
  '/reviews',
  '/sms/messages',
  '/sms/messages?status=failed',
  '/sms/messages?country=AU',
  '/sms/messages?prefix=%2B6421&status=refused',
  `/sms/messages?userId=${user}`,
  '/sms/messages?challengeId=c7',
];
/** The dashboard's summaries over the whole seeded month: each within 1 s. */
const SUMMARY_LIST = [
  ...['day', 'country', 'prefix', 'provider'].map((g) => `/sms/summary?groupBy=${g}&from=${iso(now - 30 * DAY)}`),
  ...['day', 'action'].map((g) => `/actions/outcomes?groupBy=${g}&from=${iso(now - 30 * DAY)}`),
];

async function run(db: string): Promise<boolean> {
  return withSeededServer(db, values['pg-url'] as string, seed, async (port, key) => {
    let ok = true;
    for (const [paths, budget, calls] of [
      [CALLS_LIST, 300, CALLS],
      [SUMMARY_LIST, 1000, Math.max(5, Math.floor(CALLS / 4))],
    ] as const) {
      for (const path of paths) {
        await managementCall(port, key, 'GET', path); // throws unless 200
        const times: number[] = [];
        for (let i = 0; i < calls; i++) times.push((await managementCall(port, key, 'GET', path)).ms);
        if (p95(times) > budget) ok = false;
        const shown = path.replace(/&from=[^&]*/, '&from=30d');
        console.log(
          `   GET ${shown.padEnd(48)} p50 ${median(times).toFixed(1).padStart(6)} ms  p95 ${p95(times).toFixed(1).padStart(6)} ms  (budget ${budget})`,
        );
      }
    }
    return ok;
  });
}

if (!values['skip-build']) build();
let allOk = true;
for (const db of values.db === 'both' ? ['sqlite', 'postgres'] : [values.db as string])
  allOk = (await run(db)) && allOk;
if (!allOk) process.exitCode = 1;

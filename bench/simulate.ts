/**
 * The rule simulation's budget (issue 10: 100,000 recorded actions simulated in under 5 s), measured
 * over HTTP against a real server on each database:
 *
 *   npx tsx bench/simulate.ts --db sqlite|postgres|both --actions 100000 [--others 900000] [--pg-url URL] [--keep]
 *
 * Seeds `--actions` tracked actions of one code over the last 14 days and `--others` of eight other
 * codes over 30 days (bulk inserts through Kysely, straight into the server's database, not measured),
 * saves a rule set through the Management API, then times the simulate call of a draft five times and
 * the actions summary twenty times. With the defaults the table holds 1,000,000 actions.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { openDatabase } from '../src/storage/db.js';
import type { ActionRow } from '../src/storage/schema.js';
import { gitState, machineBusyOver } from './lib/machine.js';
import { managementCall as call, median, p95, withSeededServer } from './lib/management.js';
import { build } from './lib/server.js';

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'both' },
    actions: { type: 'string', default: '100000' },
    others: { type: 'string', default: '900000' },
    'pg-url': { type: 'string', default: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
    'skip-build': { type: 'boolean', default: false },
    /** Leave the PostgreSQL schema in place (its name is printed), to EXPLAIN the queries on it. */
    keep: { type: 'boolean', default: false },
  },
});
const dbs = values.db === 'both' ? ['sqlite', 'postgres'] : [values.db as string];
const ACTIONS = Number(values.actions);
const OTHERS = Number(values.others);
const CODE = 'withdraw';
const DAY = 86_400_000;

/** The saved rules (what the seeded outcomes follow) and the draft the simulation tries. */
const SAVED = [
  { name: 'huge', type: 'BLOCK', priority: 0, conditions: { '>': [{ var: 'custom.amount' }, 9000] } },
  { name: 'big', type: 'CHALLENGE', priority: 10, conditions: { '>': [{ var: 'custom.amount' }, 1000] } },
];
const DRAFT = [
  ...SAVED,
  {
    name: 'risky place',
    type: 'REVIEW',
    priority: 5,
    isActive: true,
    conditions: {
      and: [
        { '>': [{ var: 'custom.amount' }, 500] },
        {
          or: [
            { in: [{ var: 'ip.location.country.countryCode' }, ['US', 'DE']] },
            { in: ['curl', { var: 'device.userAgent' }] },
          ],
        },
      ],
    },
  },
  { name: 'free plan', type: 'CHALLENGE', priority: 20, conditions: { '==': [{ var: 'custom.plan' }, 'free'] } },
];
const outcomeOf = (amount: number) => (amount > 9000 ? 'BLOCK' : amount > 1000 ? 'CHALLENGE_REQUIRED' : 'ALLOW');
const IPS = ['8.8.8.8', '203.109.128.1', '81.2.69.160', '1.1.1.1', '198.51.100.7', '5.9.0.1'];
const AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64) Chrome/120',
  'curl/8.5.0',
  'okhttp/4.12',
  'Mozilla/5.0 (iPhone) Safari',
];

async function seed(url: string, schema: string | undefined, tenantId: string) {
  const { db } = await openDatabase({ url, ...(schema ? { schema } : {}) });
  const now = Date.now();
  const started = Date.now();
  let n = 0;
  const row = (code: string, spanDays: number): ActionRow => {
    n += 1;
    const amount = (n * 7919) % 12_000;
    const state = outcomeOf(amount);
    return {
      tenant_id: tenantId,
      idempotency_key: `${n.toString(36).padStart(8, '0')}-${randomBytes(8).toString('hex')}`,
      user_id: `user-${n % 20_000}`,
      action_code: code,
      state,
      state_updated_at: now,
      verification_method: null,
      created_at: now - 60_000 - ((n * 104_729) % (spanDays * DAY)),
      updated_at: now,
      attributes: JSON.stringify({
        ipAddress: IPS[n % IPS.length],
        userAgent: AGENTS[n % AGENTS.length],
        deviceId: `device-${n % 50_000}`,
        custom: { amount, plan: n % 5 === 0 ? 'free' : 'pro' },
      }),
      rule_ids: '[]',
      priority_rule_id: null,
      validated_at: null,
      outcome: state,
    };
  };
  const insert = async (count: number, code: (i: number) => string, spanDays: number) => {
    for (let done = 0; done < count; ) {
      const batch = Math.min(1000, count - done);
      const rows = Array.from({ length: batch }, (_, i) => row(code(done + i), spanDays));
      await db.insertInto('actions').values(rows).execute();
      done += batch;
    }
  };
  await insert(ACTIONS, () => CODE, 14);
  await insert(OTHERS, (i) => `other-${i % 8}`, 30);
  if (!schema) await sql`ANALYZE`.execute(db); // SQLite's planner statistics, as a long-running server gathers
  await db.destroy();
  console.log(`   seeded ${ACTIONS + OTHERS} actions in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function run(db: string) {
  const measure = async (port: number, key: string) => {
    await call(port, key, 'POST', '/action-configurations', { actionCode: CODE, defaultUserActionResult: 'ALLOW' });
    for (const rule of SAVED) await call(port, key, 'POST', `/action-configurations/${CODE}/rules`, rule);
    const runs: number[] = [];
    let last: Record<string, unknown> = {};
    for (let i = 0; i < 5; i++) {
      const { ms, json } = await call(port, key, 'POST', `/action-configurations/${CODE}/simulate`, {
        days: 30,
        rules: DRAFT,
      });
      runs.push(ms);
      last = json;
    }
    const summary: number[] = [];
    for (let i = 0; i < 20; i++) summary.push((await call(port, key, 'GET', '/actions/summary')).ms);
    const { evaluated, changed, transitions, tookMs } = last;
    console.log(
      `   simulate ${evaluated} actions (${changed} changed): first ${runs[0]?.toFixed(0)} ms, median of 5 ${median(runs).toFixed(0)} ms (server tookMs ${tookMs})`,
    );
    console.log(`   transitions ${JSON.stringify(transitions)}`);
    console.log(
      `   actions summary over ${ACTIONS + OTHERS} actions: median ${median(summary).toFixed(1)} ms, p95 ${p95(summary).toFixed(1)} ms`,
    );
    if (Number(evaluated) !== ACTIONS) throw new Error(`expected ${ACTIONS} evaluated, got ${evaluated}`);
  };
  await withSeededServer(db, values['pg-url'] as string, seed, measure, { keepSchema: values.keep });
}

const git = gitState();
console.log(
  `commit ${git.commit}${git.srcDirty ? ' (src changed)' : ''}; machine ${await machineBusyOver(1000)}% busy before the run`,
);
if (!values['skip-build']) build();
for (const db of dbs) await run(db);

/**
 * The portal's API budget (issue 10): each page's API calls answer within 300 ms at p95 with 100,000 users
 * and 1,000,000 actions seeded. Measured over HTTP against a real server on each database:
 *
 *   npx tsx bench/portal-api.ts --db sqlite|postgres|both [--users 100000] [--actions 1000000]
 *                               [--audit 100000] [--calls 40] [--pg-url URL] [--skip-build]
 *
 * Seeds the users, the actions (over 30 days, ten action codes) and audit-log entries straight into the
 * server's database (bulk inserts, not measured), then calls every route the configuration pages read,
 * `--calls` times each, one at a time, with the management key (an operator's session reaches the same
 * handlers after its own lookup). Prints p50 and p95 per route and the slowest route of each page.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { openDatabase } from '../src/storage/db.js';
import type { ActionRow, AuditLogRow, UserRow } from '../src/storage/schema.js';
import { gitState, machineBusyOver } from './lib/machine.js';
import { managementCall, median, p95, withSeededServer } from './lib/management.js';
import { build } from './lib/server.js';

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'both' },
    users: { type: 'string', default: '100000' },
    actions: { type: 'string', default: '1000000' },
    audit: { type: 'string', default: '100000' },
    calls: { type: 'string', default: '40' },
    'pg-url': { type: 'string', default: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
    'skip-build': { type: 'boolean', default: false },
  },
});
const dbs = values.db === 'both' ? ['sqlite', 'postgres'] : [values.db as string];
const USERS = Number(values.users);
const ACTIONS = Number(values.actions);
const AUDIT = Number(values.audit);
const CALLS = Number(values.calls);
const DAY = 86_400_000;
const BUDGET_MS = 300;

/** What each page of the portal reads when it opens (docs/portal.md). */
const PAGES: { page: string; calls: { method: string; path: string; body?: unknown }[] }[] = [
  {
    page: 'Team',
    calls: [
      { method: 'GET', path: '/members' },
      { method: 'GET', path: '/invites' },
    ],
  },
  {
    page: 'API keys',
    calls: [
      { method: 'GET', path: '/tenant' },
      { method: 'GET', path: '/api-keys' },
      { method: 'GET', path: '/signing-keys' },
    ],
  },
  {
    page: 'SMS delivery',
    calls: [
      { method: 'GET', path: '/sms-providers' },
      { method: 'GET', path: '/sms-providers/schemas' },
      { method: 'GET', path: '/sms-providers/health' },
    ],
  },
  {
    page: 'Messages',
    calls: [
      { method: 'GET', path: '/sms-templates' },
      { method: 'POST', path: '/sms-templates/preview', body: { template: 'Your {{appName}} code is {{code}}' } },
    ],
  },
  {
    page: 'Actions and rules',
    calls: [
      { method: 'GET', path: '/actions/summary' },
      { method: 'GET', path: '/action-configurations' },
      { method: 'GET', path: '/action-configurations/code-0/rules' },
      { method: 'GET', path: '/rule-variables' },
      { method: 'POST', path: '/rules/validate', body: { conditions: { '==': [{ var: 'custom.plan' }, 'free'] } } },
    ],
  },
  {
    page: 'Audit log',
    calls: [
      { method: 'GET', path: '/audit-log?limit=50' },
      { method: 'GET', path: '/audit-log?limit=50&action=sms-providers' },
    ],
  },
];

async function seed(url: string, schema: string | undefined, tenantId: string) {
  const { db } = await openDatabase({ url, ...(schema ? { schema } : {}) });
  const now = Date.now();
  const started = Date.now();
  const batches = async <T>(count: number, make: (i: number) => T, insert: (rows: T[]) => Promise<unknown>) => {
    for (let done = 0; done < count; ) {
      const n = Math.min(1000, count - done);
      await insert(Array.from({ length: n }, (_, i) => make(done + i)));
      done += n;
    }
  };
  await batches<UserRow>(
    USERS,
    (i) => ({
      tenant_id: tenantId,
      user_id: `user-${i}`,
      email: `user-${i}@example.com`,
      email_verified: 0,
      phone_number: `+6421${String(i).padStart(7, '0')}`,
      phone_number_verified: 1,
      username: null,
      display_name: null,
      custom: null,
      locale: null,
      created_at: now - (i % 365) * DAY,
      updated_at: now,
    }),
    (rows) => db.insertInto('users').values(rows).execute(),
  );
  const outcomes = ['ALLOW', 'CHALLENGE_REQUIRED', 'REVIEW_REQUIRED', 'BLOCK'];
  await batches<ActionRow>(
    ACTIONS,
    (i) => {
      const outcome = outcomes[i % 7 === 0 ? i % 4 : 0] as string;
      return {
        tenant_id: tenantId,
        idempotency_key: `${i.toString(36)}-${randomBytes(6).toString('hex')}`,
        user_id: `user-${i % USERS}`,
        action_code: `code-${i % 10}`,
        state: outcome,
        state_updated_at: now,
        verification_method: null,
        created_at: now - 60_000 - ((i * 104_729) % (30 * DAY)),
        updated_at: now,
        attributes: JSON.stringify({ ipAddress: '203.0.113.9', custom: { amount: i % 5000 } }),
        rule_ids: '[]',
        priority_rule_id: null,
        validated_at: null,
        outcome,
      };
    },
    (rows) => db.insertInto('actions').values(rows).execute(),
  );
  await batches<AuditLogRow>(
    AUDIT,
    (i) => ({
      id: `${i.toString(36).padStart(8, '0')}-${randomBytes(6).toString('hex')}`,
      tenant_id: tenantId,
      at: now - ((i * 7_919) % (30 * DAY)),
      actor_kind: 'key',
      actor_id: 'bench-key',
      actor_email: null,
      action: i % 3 === 0 ? 'sms-providers.update' : 'action-configurations.rules.update',
      method: 'PUT',
      route: '/v1/management/sms-providers',
      path: '/v1/management/sms-providers',
      status: 200,
      ip_address: '203.0.113.9',
      before_json: '{"providers":[]}',
      after_json: '{"providers":[{"type":"dev"}]}',
      request_json: null,
    }),
    (rows) => db.insertInto('audit_log').values(rows).execute(),
  );
  if (!schema) await sql`ANALYZE`.execute(db);
  await db.destroy();
  console.log(
    `   seeded ${USERS} users, ${ACTIONS} actions, ${AUDIT} audit entries in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
}

async function run(db: string): Promise<boolean> {
  return withSeededServer(db, values['pg-url'] as string, seed, async (port, key) => {
    let ok = true;
    await managementCall(port, key, 'POST', '/action-configurations', { actionCode: 'code-0' });
    for (const { page, calls } of PAGES) {
      let slowest = 0;
      for (const c of calls) {
        await managementCall(port, key, c.method, c.path, c.body); // warm: compiled statements, caches
        const times: number[] = [];
        for (let i = 0; i < CALLS; i++) times.push((await managementCall(port, key, c.method, c.path, c.body)).ms);
        slowest = Math.max(slowest, p95(times));
        console.log(
          `   ${page.padEnd(18)} ${`${c.method} ${c.path}`.padEnd(48)} p50 ${median(times).toFixed(1).padStart(6)} ms  p95 ${p95(times).toFixed(1).padStart(6)} ms`,
        );
      }
      if (slowest > BUDGET_MS) ok = false;
      console.log(
        `   ${page}: slowest p95 ${slowest.toFixed(1)} ms ${slowest <= BUDGET_MS ? 'within' : 'OVER'} ${BUDGET_MS} ms`,
      );
    }
    return ok;
  });
}

const git = gitState();
console.log(
  `commit ${git.commit}${git.srcDirty ? ' (src changed)' : ''}; machine ${await machineBusyOver(1000)}% busy before the run`,
);
if (!values['skip-build']) build();
let allOk = true;
for (const db of dbs) allOk = (await run(db)) && allOk;
if (!allOk) process.exitCode = 1;

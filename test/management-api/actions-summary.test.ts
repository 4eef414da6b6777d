import { UserActionState } from '@authsignal/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import { databases } from '../helpers/databases.js';
import { management } from '../helpers/management.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

interface CodeSummary {
  actionCode: string;
  configured: boolean;
  lastSeenAt: string | null;
  last24h: Record<'ALLOW' | 'CHALLENGE_REQUIRED' | 'REVIEW_REQUIRED' | 'BLOCK', number>;
}

const HOUR = 3_600_000;
const counts = (ALLOW: number, CHALLENGE_REQUIRED: number, REVIEW_REQUIRED: number, BLOCK: number) => ({
  ALLOW,
  CHALLENGE_REQUIRED,
  REVIEW_REQUIRED,
  BLOCK,
});

/** GET /v1/management/actions/summary: every action code with its last sighting and last-24-hours outcomes. */
describe.each(databases)('actions summary ($name)', (db) => {
  let t: TestServer;
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  beforeAll(async () => {
    t = await startTestServer(db, {}, { clock });
  });
  afterAll(async () => {
    await t?.close();
  });

  const summaryOf = async (managementKey: string) => {
    const res = await management(t.apiUrl, managementKey, '').request<CodeSummary[]>('GET', '/actions/summary');
    expect(res.status).toBe(200);
    return res.body;
  };

  it('counts what track decided in the last 24 hours per code, configured or not, and keeps tenants apart', async () => {
    const { tenant, sdk } = await t.newTenant('summary');
    const m = management(t.apiUrl, tenant.managementSecretKey);
    await m.createConfig('withdraw', 'ALLOW');
    await m.createRule('withdraw', {
      name: 'huge',
      type: 'BLOCK',
      priority: 0,
      conditions: { '>': [{ var: 'custom.amount' }, 1000] },
    });
    await m.createRule('withdraw', {
      name: 'big',
      type: 'CHALLENGE',
      priority: 10,
      conditions: { '>': [{ var: 'custom.amount' }, 100] },
    });
    await m.createRule('withdraw', {
      name: 'risky',
      type: 'REVIEW',
      priority: 20,
      conditions: { '==': [{ var: 'custom.plan' }, 'risky'] },
    });
    await m.createConfig('never-tracked', 'BLOCK');
    const track = (action: string, custom: Record<string, string | number> = {}) => {
      clock.advance(1000);
      return sdk.track({ userId: `u-${action}`, action, attributes: { custom } });
    };

    // 25 hours before "now": seen, but outside the 24 hours.
    const old = await track('withdraw', { amount: 5000 });
    expect(old.state).toBe('BLOCK');
    clock.advance(25 * HOUR);
    const states: string[] = [];
    const customs: Record<string, string | number>[] = [
      { amount: 5 },
      { amount: 6 },
      { amount: 150 },
      { amount: 2000 },
      { amount: 3000 },
      { plan: 'risky' },
    ];
    for (const custom of customs) {
      states.push((await track('withdraw', custom)).state);
    }
    expect(states).toEqual(['ALLOW', 'ALLOW', 'CHALLENGE_REQUIRED', 'BLOCK', 'BLOCK', 'REVIEW_REQUIRED']);
    await track('login');
    const lastLogin = clock.now();
    await track('login');
    // A later decision moves the state, not the outcome the rules gave at track time.
    const challenged = await track('withdraw', { amount: 200 });
    await sdk.updateAction({
      userId: 'u-withdraw',
      action: 'withdraw',
      idempotencyKey: challenged.idempotencyKey,
      attributes: { state: UserActionState.ALLOW },
    });
    const lastWithdraw = clock.now();

    // Another tenant's actions of the same code count only for it.
    const other = await t.newTenant('summary-other');
    clock.advance(1000);
    await other.sdk.track({ userId: 'x', action: 'withdraw', attributes: {} });

    expect(await summaryOf(tenant.managementSecretKey)).toEqual([
      {
        actionCode: 'login',
        configured: false,
        lastSeenAt: new Date(lastLogin + 1000).toISOString(),
        last24h: counts(2, 0, 0, 0),
      },
      { actionCode: 'never-tracked', configured: true, lastSeenAt: null, last24h: counts(0, 0, 0, 0) },
      {
        actionCode: 'withdraw',
        configured: true,
        lastSeenAt: new Date(lastWithdraw).toISOString(),
        last24h: counts(2, 2, 1, 2),
      },
    ]);
    expect(await summaryOf(other.tenant.managementSecretKey)).toEqual([
      {
        actionCode: 'withdraw',
        configured: false,
        lastSeenAt: new Date(clock.now()).toISOString(),
        last24h: counts(1, 0, 0, 0),
      },
    ]);

    // A day later the same actions are seen but no longer counted.
    clock.advance(25 * HOUR);
    const later = await summaryOf(tenant.managementSecretKey);
    expect(later.map((s) => [s.actionCode, s.last24h])).toEqual([
      ['login', counts(0, 0, 0, 0)],
      ['never-tracked', counts(0, 0, 0, 0)],
      ['withdraw', counts(0, 0, 0, 0)],
    ]);
    expect(later[2]?.lastSeenAt).toBe(new Date(lastWithdraw).toISOString());
  });

  it('is an empty list for a tenant with no actions and no configuration, and needs the management key', async () => {
    const { tenant } = await t.newTenant('summary-empty');
    expect(await summaryOf(tenant.managementSecretKey)).toEqual([]);
    const refused = await management(t.apiUrl, tenant.apiSecretKey, '').request('GET', '/actions/summary');
    expect(refused.status).toBe(401);
  });
});

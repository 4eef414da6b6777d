import { type TrackAttributes, UserActionState } from '@authsignal/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import { databases } from '../helpers/databases.js';
import { type ManagementClient, management, type RuleInput, type RuleView } from '../helpers/management.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

interface Simulation {
  evaluated: number;
  changed: number;
  unchanged: number;
  transitions: { from: string; to: string; count: number }[];
  sample: {
    actionId: string;
    userId: string | null;
    createdAt: string;
    from: string;
    to: string;
    ruleName: string | null;
  }[];
  notReconstructed: string[];
  truncated: boolean;
  tookMs: number;
}

const DAY = 86_400_000;
const big: RuleInput = {
  name: 'big',
  type: 'CHALLENGE',
  priority: 10,
  conditions: { '>': [{ var: 'custom.amount' }, 100] },
};
const huge = (priority = 0, isActive = true): RuleInput => ({
  name: 'huge',
  type: 'BLOCK',
  priority,
  isActive,
  conditions: { '>': [{ var: 'custom.amount' }, 1000] },
});
const draftOf = (rules: RuleView[]) =>
  rules.map(({ ruleId, name, priority, isActive, type, conditions }) => ({
    ruleId,
    name,
    priority,
    isActive,
    type,
    conditions,
  }));

/** POST /v1/management/action-configurations/:actionCode/simulate: a draft rule set against recorded actions. */
describe.each(databases)('rule simulation ($name)', (db) => {
  let t: TestServer;
  let m: ManagementClient;
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  /** Idempotency keys of the tracked `pay` actions, by a name for each. */
  const keys: Record<string, string> = {};
  let simulate: (
    body: unknown,
    code?: string,
    key?: string,
  ) => Promise<{ status: number; body: Simulation & { errorDescription?: string } }>;

  const track = async (name: string, attributes: TrackAttributes, userId = `user-${name}`, action = 'pay') => {
    clock.advance(1000);
    const res = await t.sdk.track({ userId, action, attributes });
    keys[name] = res.idempotencyKey;
    return res.state;
  };

  beforeAll(async () => {
    t = await startTestServer(db, {}, { clock });
    m = management(t.apiUrl, t.tenant.managementSecretKey);
    simulate = (body, code = 'pay', key = t.tenant.managementSecretKey) =>
      management(t.apiUrl, key).request('POST', `/${code}/simulate`, body);
    await m.createConfig('pay', 'ALLOW');
    await m.createRule('pay', big);
    // Ten days ago, then today.
    expect(await track('old-large', { custom: { amount: 5000 } })).toBe('CHALLENGE_REQUIRED');
    clock.advance(10 * DAY);
    expect(await track('small', { custom: { amount: 50 }, ipAddress: '198.51.100.9' })).toBe('ALLOW');
    expect(await track('medium', { custom: { amount: 150 }, deviceId: 'dev-1' })).toBe('CHALLENGE_REQUIRED');
    expect(await track('large', { custom: { amount: 2000 }, userAgent: 'curl/8' })).toBe('CHALLENGE_REQUIRED');
    expect(await track('tiny', { custom: { amount: 20 }, email: 'ana@example.com' })).toBe('ALLOW');
    expect(await track('none', {})).toBe('ALLOW');
    // Another code of this tenant is not simulated with pay's rules.
    await track('elsewhere', { custom: { amount: 9000 } }, 'user-x', 'login');
    // A later decision does not change what the rules decided.
    await t.sdk.updateAction({
      userId: 'user-medium',
      action: 'pay',
      idempotencyKey: keys.medium as string,
      attributes: { state: UserActionState.ALLOW },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('changes nothing when the draft is the saved rule set', async () => {
    const saved = (await m.request<RuleView[]>('GET', '/pay/rules')).body;
    const res = await simulate({ days: 30, rules: draftOf(saved) });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      evaluated: 6,
      changed: 0,
      unchanged: 6,
      transitions: [],
      sample: [],
      notReconstructed: [],
    });
    expect(res.body.tookMs).toBeGreaterThanOrEqual(0);
  });

  it('reports exactly the actions a new rule changes, from what to what, newest first', async () => {
    const res = await simulate({ days: 30, rules: [big, huge()] });
    expect(res.body).toMatchObject({
      evaluated: 6,
      changed: 2,
      unchanged: 4,
      transitions: [{ from: 'CHALLENGE_REQUIRED', to: 'BLOCK', count: 2 }],
    });
    expect(res.body.sample).toEqual([
      {
        actionId: keys.large,
        userId: 'user-large',
        createdAt: expect.any(String),
        from: 'CHALLENGE_REQUIRED',
        to: 'BLOCK',
        ruleName: 'huge',
      },
      {
        actionId: keys['old-large'],
        userId: 'user-old-large',
        createdAt: expect.any(String),
        from: 'CHALLENGE_REQUIRED',
        to: 'BLOCK',
        ruleName: 'huge',
      },
    ]);
  });

  it('keeps to the days asked for', async () => {
    const res = await simulate({ days: 7, rules: [big, huge()] });
    expect(res.body).toMatchObject({ evaluated: 5, changed: 1 });
    expect(res.body.sample.map((s) => s.actionId)).toEqual([keys.large]);
    expect((await simulate({ days: 11, rules: [big, huge()] })).body.evaluated).toBe(6);
  });

  it('applies priorities and active flags as track does', async () => {
    // After "big", "huge" never decides; inactive, it is never evaluated.
    expect((await simulate({ days: 30, rules: [big, huge(20)] })).body.changed).toBe(0);
    expect((await simulate({ days: 30, rules: [big, huge(0, false)] })).body.changed).toBe(0);
    // With no rules at all every challenge becomes the default.
    const none = await simulate({ days: 30, rules: [] });
    expect(none.body.transitions).toEqual([{ from: 'CHALLENGE_REQUIRED', to: 'ALLOW', count: 3 }]);
    expect(none.body.sample.every((s) => s.ruleName === null)).toBe(true);
  });

  it('applies a draft default to the actions no rule matches', async () => {
    const res = await simulate({ days: 30, defaultAction: 'REVIEW', rules: [big] });
    expect(res.body.transitions).toEqual([{ from: 'ALLOW', to: 'REVIEW_REQUIRED', count: 3 }]);
    expect(res.body.sample.map((s) => s.actionId)).toEqual([keys.none, keys.tiny, keys.small]);
  });

  it('reads each action as track stored it: IP, device, user agent, email, user', async () => {
    const cases: [unknown, string][] = [
      [{ '==': [{ var: 'ip.address' }, '198.51.100.9'] }, 'small'],
      [{ '==': [{ var: 'device.id' }, 'dev-1'] }, 'medium'],
      [{ '==': [{ var: 'device.userAgent' }, 'curl/8'] }, 'large'],
      [{ '==': [{ var: 'user.email' }, 'ana@example.com'] }, 'tiny'],
      [{ '==': [{ var: 'user.id' }, 'user-none'] }, 'none'],
    ];
    for (const [conditions, name] of cases) {
      const res = await simulate({
        days: 30,
        rules: [{ name: 'exact', type: 'REVIEW', priority: 0, conditions }, big],
      });
      expect(
        res.body.sample.map((s) => s.actionId),
        JSON.stringify(conditions),
      ).toEqual([keys[name]]);
      expect(res.body.sample[0]?.to).toBe('REVIEW_REQUIRED');
    }
  });

  it('names what it cannot reconstruct, for the variables the draft reads', async () => {
    const conditions = {
      or: [{ '>=': [{ var: 'velocity.sameActionLast10Minutes' }, 3] }, { '==': [{ var: 'device.isNew' }, true] }],
    };
    const res = await simulate({ days: 30, rules: [{ name: 'v', type: 'BLOCK', priority: 0, conditions }] });
    expect(res.status).toBe(200);
    expect(res.body.notReconstructed).toEqual([
      expect.stringMatching(/^velocity\.sameActionLast<N>Minutes: /),
      expect.stringMatching(/^device\.isNew: /),
    ]);
  });

  it('refuses a bad draft with the rule routes’ words, and days outside 1..30', async () => {
    const conditions = { '==': [{ var: 'ip.isAnonymous' }, true] };
    const route = await m.request('POST', '/pay/rules', { name: 'bad', type: 'BLOCK', conditions });
    const res = await simulate({ days: 7, rules: [big, { name: 'bad', type: 'BLOCK', conditions }] });
    expect(res.status).toBe(400);
    expect(res.body.errorDescription).toBe(`rules[1]: ${route.body.errorDescription}`);
    const badType = await simulate({ days: 7, rules: [{ ...big, type: 'DENY' }] });
    expect(badType.body.errorDescription).toBe('rules[0]: type must be one of ALLOW, CHALLENGE, REVIEW, BLOCK');
    for (const days of [0, 31, 1.5]) expect((await simulate({ days, rules: [] })).status).toBe(400);
    expect((await simulate({ days: 7, defaultAction: 'DENY', rules: [] })).status).toBe(400);
  });

  it('sees only the tenant’s own actions, and simulates a code that has no configuration', async () => {
    const other = await t.newTenant('simulation-other');
    clock.advance(1000);
    await other.sdk.track({ userId: 'b', action: 'pay', attributes: { custom: { amount: 9999 } } });
    const theirs = await simulate({ days: 30, rules: [huge()] }, 'pay', other.tenant.managementSecretKey);
    expect(theirs.body).toMatchObject({
      evaluated: 1,
      changed: 1,
      transitions: [{ from: 'ALLOW', to: 'BLOCK', count: 1 }],
    });
    const login = await simulate({ days: 30, rules: [huge()] }, 'login');
    expect(login.body).toMatchObject({
      evaluated: 1,
      changed: 1,
      transitions: [{ from: 'ALLOW', to: 'BLOCK', count: 1 }],
    });
    expect(login.body.sample[0]?.actionId).toBe(keys.elsewhere);
  });
});

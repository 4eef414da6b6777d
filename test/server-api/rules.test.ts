import { type TrackAttributes, VerificationMethod } from '@authsignal/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import { databases } from '../helpers/databases.js';
import { type ManagementClient, management } from '../helpers/management.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';

const SMS = VerificationMethod.SMS;

/** One track of a table row: who, on which of the row's two action codes, with what, after what. */
interface TrackCase {
  userId?: string;
  /** `main` (default) or `other`: each row configures the same rule on two action codes. */
  code?: 'main' | 'other';
  attributes?: TrackAttributes;
  before?: (t: TestServer, userId: string, code: string) => Promise<void>;
}

interface Row {
  variable: string;
  conditions: (code: string) => unknown;
  /** A track that the rule matches: BLOCK. */
  match: TrackCase;
  /** A track that the rule does not match: the default, ALLOW. */
  miss: TrackCase;
}

/**
 * Moves the clock of the running suite on after each track, so that no two tracks share a millisecond
 * (device.isNew is about earlier sightings; see the same-millisecond test at the end).
 */
let afterTrack: () => void = () => {};

async function trackOnce(t: TestServer, userId: string, action: string, attributes: TrackAttributes = {}) {
  const result = await t.sdk.track({ userId, action, attributes });
  afterTrack();
  return result;
}

/** For every variable of the catalogue (docs/rules.md), a track that matches a rule on it and one that does not. */
const rows: Row[] = [
  {
    variable: 'action.code',
    conditions: (code) => ({ '==': [{ var: 'action.code' }, code] }),
    match: { code: 'main' },
    miss: { code: 'other' },
  },
  {
    variable: 'ip.address',
    conditions: () => ({ '==': [{ var: 'ip.address' }, '198.51.100.7'] }),
    match: { attributes: { ipAddress: '198.51.100.7' } },
    miss: { attributes: { ipAddress: '198.51.100.8' } },
  },
  {
    variable: 'ip.location.country.countryCode (NZ address)',
    conditions: () => ({ '==': [{ var: 'ip.location.country.countryCode' }, 'NZ'] }),
    match: { attributes: { ipAddress: '203.109.128.1' } },
    miss: { attributes: { ipAddress: '8.8.8.8' } },
  },
  {
    variable: 'ip.location.country.countryCode (US address, none without an IP)',
    conditions: () => ({ in: [{ var: 'ip.location.country.countryCode' }, ['US', 'CA']] }),
    match: { attributes: { ipAddress: '8.8.8.8' } },
    miss: { attributes: {} },
  },
  {
    variable: 'device.id',
    conditions: () => ({ '==': [{ var: 'device.id' }, 'device-known'] }),
    match: { attributes: { deviceId: 'device-known' } },
    miss: { attributes: { deviceId: 'device-other' } },
  },
  {
    variable: 'device.isNew (true on first sight)',
    conditions: () => ({ '===': [{ var: 'device.isNew' }, true] }),
    match: { attributes: { deviceId: 'device-fresh' } },
    // Seen before, on another action: devices are remembered per user, whatever the action.
    miss: {
      attributes: { deviceId: 'device-seen' },
      before: async (t, userId) => {
        await trackOnce(t, userId, 'warmup', { deviceId: 'device-seen' });
      },
    },
  },
  {
    variable: 'device.isNew (false when seen before, null without a deviceId)',
    conditions: () => ({ '===': [{ var: 'device.isNew' }, false] }),
    match: {
      attributes: { deviceId: 'device-again' },
      before: async (t, userId) => {
        await trackOnce(t, userId, 'warmup', { deviceId: 'device-again' });
      },
    },
    miss: { attributes: {} },
  },
  {
    variable: 'device.userAgent',
    conditions: () => ({ in: ['HeadlessChrome', { var: 'device.userAgent' }] }),
    match: { attributes: { userAgent: 'Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0.0.0' } },
    miss: { attributes: { userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0.0.0' } },
  },
  {
    variable: 'user.id',
    conditions: () => ({ '==': [{ var: 'user.id' }, 'rules-vip-user'] }),
    match: { userId: 'rules-vip-user' },
    miss: { userId: 'rules-regular-user' },
  },
  {
    variable: 'user.isEnrolled',
    conditions: () => ({ '==': [{ var: 'user.isEnrolled' }, true] }),
    match: {
      before: async (t, userId) => {
        await t.sdk.enrollVerifiedAuthenticator({
          userId,
          attributes: { verificationMethod: SMS, phoneNumber: phone() },
        });
      },
    },
    miss: {},
  },
  {
    variable: 'user.email (from track)',
    conditions: () => ({ '==': [{ var: 'user.email' }, 'eve@evil.example'] }),
    match: { attributes: { email: 'eve@evil.example' } },
    miss: { attributes: { email: 'alice@good.example' } },
  },
  {
    variable: 'user.email (stored on the user, not sent with track)',
    conditions: () => ({ '==': [{ var: 'user.email' }, 'stored@evil.example'] }),
    match: {
      before: async (t, userId) => {
        await t.sdk.updateUser({ userId, attributes: { email: 'stored@evil.example' } });
      },
    },
    miss: {
      before: async (t, userId) => {
        await t.sdk.updateUser({ userId, attributes: { email: 'stored@good.example' } });
      },
    },
  },
  {
    variable: 'user.phoneNumber (E.164)',
    conditions: () => ({ '==': [{ var: 'user.phoneNumber' }, '+64211234567'] }),
    match: { attributes: { phoneNumber: '+64 21 123 4567' } },
    miss: { attributes: { phoneNumber: '+64 21 765 4321' } },
  },
  {
    variable: 'user.phoneNumberCountryCode',
    conditions: () => ({ '==': [{ var: 'user.phoneNumberCountryCode' }, 'AU'] }),
    match: { attributes: { phoneNumber: '+61412345678' } },
    miss: { attributes: { phoneNumber: '+64211234567' } },
  },
  {
    variable: 'velocity.sameActionLast10Minutes (earlier actions only)',
    conditions: () => ({ '>=': [{ var: 'velocity.sameActionLast10Minutes' }, 2] }),
    // Two earlier tracks: the count is 2. With one earlier track the count is 1, so the current
    // track must not be counted for the miss to stay ALLOW.
    match: {
      before: async (t, userId, code) => {
        await trackOnce(t, userId, code);
        await trackOnce(t, userId, code);
      },
    },
    miss: {
      before: async (t, userId, code) => {
        await trackOnce(t, userId, code);
      },
    },
  },
  {
    variable: 'custom.<name> (number)',
    conditions: () => ({ '>': [{ var: 'custom.amount' }, 100] }),
    match: { attributes: { custom: { amount: 500 } } },
    miss: { attributes: { custom: { amount: 50 } } },
  },
  {
    variable: 'custom.<name> (string, absent is no match)',
    conditions: () => ({ '==': [{ var: 'custom.plan' }, 'enterprise'] }),
    match: { attributes: { custom: { plan: 'enterprise' } } },
    miss: { attributes: {} },
  },
];

describe.each(databases)('rules decide the state of a tracked action ($name)', (db) => {
  let t: TestServer;
  let m: ManagementClient;
  const clock = new ManualClock(Date.now());
  beforeAll(async () => {
    t = await startTestServer(db, {}, { clock });
    m = management(t.apiUrl, t.tenant.managementSecretKey);
    afterTrack = () => clock.advance(1000);
  });
  afterAll(() => t.close());

  it.each(rows.map((row, i) => ({ ...row, i })))(
    'rule on $variable: BLOCK when it matches, ALLOW when not',
    async (row) => {
      const main = `rule-${row.i}`;
      const other = `rule-${row.i}-other`;
      const ruleIds: Record<string, string> = {};
      for (const code of [main, other]) {
        await m.createConfig(code, 'ALLOW');
        const rule = await m.createRule(code, {
          name: `block on ${row.variable}`,
          type: 'BLOCK',
          priority: 10,
          isActive: true,
          conditions: row.conditions(main),
        });
        ruleIds[code] = rule.ruleId;
      }
      const run = async (c: TrackCase, which: string) => {
        const userId = c.userId ?? `${main}-${which}`;
        const code = c.code === 'other' ? other : main;
        await c.before?.(t, userId, code);
        return { code, result: await trackOnce(t, userId, code, c.attributes) };
      };

      const matched = await run(row.match, 'match');
      expect(matched.result.state).toBe('BLOCK');
      expect(matched.result.ruleIds).toEqual([ruleIds[matched.code]]);

      const missed = await run(row.miss, 'miss');
      expect(missed.result.state).toBe('ALLOW');
      expect(missed.result.ruleIds).toEqual([]);
    },
  );

  it('counts velocity per user and per action code', async () => {
    await m.createConfig('velocity-scope', 'ALLOW');
    await m.createRule('velocity-scope', {
      name: 'second attempt',
      type: 'CHALLENGE',
      priority: 0,
      isActive: true,
      conditions: { '>=': [{ var: 'velocity.sameActionLast60Minutes' }, 1] },
    });
    for (let i = 0; i < 3; i++) await trackOnce(t, 'velocity-u1', 'velocity-elsewhere');
    for (let i = 0; i < 3; i++) await trackOnce(t, 'velocity-u2', 'velocity-scope');
    expect((await trackOnce(t, 'velocity-u1', 'velocity-scope')).state).toBe('ALLOW');
    expect((await trackOnce(t, 'velocity-u1', 'velocity-scope')).state).toBe('CHALLENGE_REQUIRED');
  });

  it('remembers devices per user: the same deviceId is new for another user', async () => {
    await m.createConfig('device-per-user', 'ALLOW');
    await m.createRule('device-per-user', {
      name: 'new device',
      type: 'CHALLENGE',
      priority: 0,
      isActive: true,
      conditions: { '==': [{ var: 'device.isNew' }, true] },
    });
    const attributes = { deviceId: 'shared-device' };
    expect((await trackOnce(t, 'device-u1', 'device-per-user', attributes)).state).toBe('CHALLENGE_REQUIRED');
    expect((await trackOnce(t, 'device-u1', 'device-per-user', attributes)).state).toBe('ALLOW');
    expect((await trackOnce(t, 'device-u2', 'device-per-user', attributes)).state).toBe('CHALLENGE_REQUIRED');
  });

  it('lets the matching rule with the lowest priority number decide, and lists all matches in priority order', async () => {
    await m.createConfig('priority', 'ALLOW');
    const everything = { '==': [{ var: 'action.code' }, 'priority'] };
    // Created first, but applied second.
    const review = await m.createRule('priority', {
      name: 'review',
      type: 'REVIEW',
      priority: 50,
      isActive: true,
      conditions: everything,
    });
    const challenge = await m.createRule('priority', {
      name: 'challenge',
      type: 'CHALLENGE',
      priority: 5,
      isActive: true,
      conditions: everything,
    });
    const notMatching = await m.createRule('priority', {
      name: 'never',
      type: 'BLOCK',
      priority: 0,
      isActive: true,
      conditions: { '==': [{ var: 'user.id' }, 'nobody'] },
    });
    const first = await trackOnce(t, 'priority-user', 'priority');
    expect(first.state).toBe('CHALLENGE_REQUIRED');
    expect(first.ruleIds).toEqual([challenge.ruleId, review.ruleId]);
    const action = await t.sdk.getAction({
      userId: 'priority-user',
      action: 'priority',
      idempotencyKey: first.idempotencyKey,
    });
    expect(action).toMatchObject({ priorityRuleId: challenge.ruleId, ruleIds: [challenge.ruleId, review.ruleId] });
    expect(action.rules?.map((r) => r.ruleId)).not.toContain(notMatching.ruleId);

    // A change of priority takes effect on the next track.
    expect((await m.request('PATCH', `/priority/rules/${review.ruleId}`, { priority: 1 })).status).toBe(200);
    const second = await trackOnce(t, 'priority-user', 'priority');
    expect(second.state).toBe('REVIEW_REQUIRED');
    expect(second.ruleIds).toEqual([review.ruleId, challenge.ruleId]);
  });

  it('ignores inactive rules until they are activated', async () => {
    await m.createConfig('inactive', 'ALLOW');
    const rule = await m.createRule('inactive', {
      name: 'dormant',
      type: 'BLOCK',
      priority: 0,
      isActive: false,
      conditions: { '==': [{ var: 'user.id' }, 'inactive-user'] },
    });
    expect(rule.isActive).toBe(false);
    const dormant = await trackOnce(t, 'inactive-user', 'inactive');
    expect(dormant).toMatchObject({ state: 'ALLOW', ruleIds: [] });
    expect((await m.request('PATCH', `/inactive/rules/${rule.ruleId}`, { isActive: true })).status).toBe(200);
    const active = await trackOnce(t, 'inactive-user', 'inactive');
    expect(active).toMatchObject({ state: 'BLOCK', ruleIds: [rule.ruleId] });
  });

  it('allows an action that has no configuration', async () => {
    const result = await trackOnce(t, 'unconfigured-user', 'never-configured', { ipAddress: '8.8.8.8' });
    expect(result).toMatchObject({ state: 'ALLOW', ruleIds: [] });
  });

  it.each([
    ['CHALLENGE', 'CHALLENGE_REQUIRED'],
    ['REVIEW', 'REVIEW_REQUIRED'],
    ['BLOCK', 'BLOCK'],
    ['ALLOW', 'ALLOW'],
  ] as const)('applies defaultUserActionResult %s (state %s) when no rule matches', async (outcome, state) => {
    const code = `default-${outcome.toLowerCase()}`;
    await m.createConfig(code, outcome);
    await m.createRule(code, {
      name: 'not this user',
      type: outcome === 'ALLOW' ? 'BLOCK' : 'ALLOW',
      priority: 0,
      isActive: true,
      conditions: { '==': [{ var: 'user.id' }, 'someone-else'] },
    });
    expect(await trackOnce(t, `${code}-user`, code)).toMatchObject({ state, ruleIds: [] });
  });

  it('overrides the default with a matching rule: ALLOW rule on a CHALLENGE default', async () => {
    await m.createConfig('allow-over-default', 'CHALLENGE');
    const trusted = await m.createRule('allow-over-default', {
      name: 'trusted network',
      type: 'ALLOW',
      priority: 0,
      isActive: true,
      conditions: { '==': [{ var: 'ip.address' }, '192.0.2.1'] },
    });
    expect(await trackOnce(t, 'aod-user', 'allow-over-default', { ipAddress: '192.0.2.1' })).toMatchObject({
      state: 'ALLOW',
      ruleIds: [trusted.ruleId],
    });
    expect((await trackOnce(t, 'aod-user', 'allow-over-default', { ipAddress: '192.0.2.2' })).state).toBe(
      'CHALLENGE_REQUIRED',
    );
  });

  it('maps a REVIEW rule to REVIEW_REQUIRED', async () => {
    await m.createConfig('review-rule', 'ALLOW');
    const rule = await m.createRule('review-rule', {
      name: 'big transfer',
      type: 'REVIEW',
      priority: 3,
      isActive: true,
      conditions: { '>=': [{ var: 'custom.amount' }, 10_000] },
    });
    expect(await trackOnce(t, 'review-user', 'review-rule', { custom: { amount: 25_000 } })).toMatchObject({
      state: 'REVIEW_REQUIRED',
      ruleIds: [rule.ruleId],
    });
  });

  describe('refuses, when it is saved, a rule that could not be evaluated', () => {
    const base = { name: 'bad', type: 'BLOCK', priority: 0, isActive: true };
    const refusals: [string, Record<string, unknown>, RegExp][] = [
      ['an unknown variable', { ...base, conditions: { '==': [{ var: 'ip.isAnonymous' }, true] } }, /ip\.isAnonymous/],
      ['an unknown operator', { ...base, conditions: { frobnicate: [1] } }, /frobnicate/],
      ['an unknown operator inside "and"', { ...base, conditions: { and: [{ frobnicate: [1] }] } }, /frobnicate/],
      ['a string instead of an object', { ...base, conditions: 'device.isNew == true' }, /conditions.*object/],
      ['an array instead of an object', { ...base, conditions: [{ '==': [1, 1] }] }, /conditions.*object/],
      ['missing conditions', { name: 'bad', type: 'BLOCK', priority: 0 }, /conditions/],
      ['priority 100', { ...base, priority: 100, conditions: { '==': [1, 1] } }, /priority/],
      ['a negative priority', { ...base, priority: -1, conditions: { '==': [1, 1] } }, /priority/],
      ['a bad type', { ...base, type: 'DENY', conditions: { '==': [1, 1] } }, /type/],
      ['no name', { type: 'BLOCK', priority: 0, conditions: { '==': [1, 1] } }, /name/],
      [
        'a velocity window over a week',
        { ...base, conditions: { '>': [{ var: 'velocity.sameActionLast10081Minutes' }, 1] } },
        /10080/,
      ],
    ];

    it.each(refusals)('%s: 400 invalid_request naming the problem', async (_what, body, named) => {
      const code = 'refusals';
      await m.request('POST', '', { actionCode: code, defaultUserActionResult: 'ALLOW' });
      const res = await m.request('POST', `/${code}/rules`, body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_request', errorCode: 'invalid_request' });
      expect(res.body.errorDescription).toMatch(named);
    });

    it('stores none of the refused rules, and a refused PATCH leaves the rule unchanged', async () => {
      const code = 'refusals-kept';
      await m.createConfig(code);
      await m.request('POST', `/${code}/rules`, { ...base, conditions: { frobnicate: [1] } });
      await m.request('POST', `/${code}/rules`, { ...base, priority: 100, conditions: { '==': [1, 1] } });
      expect((await m.request('GET', `/${code}/rules`)).body).toEqual([]);

      const good = await m.createRule(code, { ...base, conditions: { '==': [{ var: 'user.id' }, 'x'] } });
      const patched = await m.request('PATCH', `/${code}/rules/${good.ruleId}`, {
        conditions: { '==': [{ var: 'user.ssn' }, 'x'] },
      });
      expect(patched.status).toBe(400);
      expect(patched.body.errorDescription).toMatch(/user\.ssn/);
      expect((await m.request('GET', `/${code}/rules/${good.ruleId}`)).body).toMatchObject({
        conditions: { '==': [{ var: 'user.id' }, 'x'] },
      });
    });

    it('needs an existing configuration for a rule (404)', async () => {
      const res = await m.request('POST', '/no-such-config/rules', { ...base, conditions: { '==': [1, 1] } });
      expect(res.status).toBe(404);
      expect(res.body.error).toBe('not_found');
    });
  });

  it('refuses a second configuration for the same action with 409 conflict, and a bad default with 400', async () => {
    await m.createConfig('twice', 'ALLOW');
    const again = await m.request('POST', '', { actionCode: 'twice', defaultUserActionResult: 'BLOCK' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: 'conflict', errorCode: 'conflict' });
    expect((await m.request('GET', '/twice')).body.defaultUserActionResult).toBe('ALLOW');

    const bad = await m.request('POST', '', { actionCode: 'bad-default', defaultUserActionResult: 'MAYBE' });
    expect(bad.status).toBe(400);
    expect(bad.body.errorDescription).toMatch(/defaultUserActionResult/);
    const badCode = await m.request('POST', '', { actionCode: 'bad code!', defaultUserActionResult: 'ALLOW' });
    expect(badCode.status).toBe(400);
  });

  it('manages configurations: create, get, list, patch (applied to the next track), delete', async () => {
    const created = await m.createConfig('crud-config', 'ALLOW');
    expect(created).toMatchObject({
      tenantId: t.tenant.tenantId,
      actionCode: 'crud-config',
      defaultUserActionResult: 'ALLOW',
    });
    expect(new Date(created.createdAt).toISOString()).toBe(created.createdAt);
    expect((await m.request('GET', '/crud-config')).body).toEqual(created);
    const list = await m.request<{ actionCode: string }[]>('GET', '');
    expect(list.body.map((c) => c.actionCode)).toContain('crud-config');

    expect(await trackOnce(t, 'crud-user', 'crud-config')).toMatchObject({ state: 'ALLOW' });
    const patched = await m.request('PATCH', '/crud-config', { defaultUserActionResult: 'BLOCK' });
    expect(patched.status).toBe(200);
    expect(patched.body.defaultUserActionResult).toBe('BLOCK');
    expect(await trackOnce(t, 'crud-user', 'crud-config')).toMatchObject({ state: 'BLOCK' });
    expect((await m.request('PATCH', '/crud-config', { defaultUserActionResult: 'NOPE' })).status).toBe(400);

    await m.createRule('crud-config', { name: 'r', type: 'ALLOW', priority: 0, conditions: { '==': [1, 1] } });
    expect(await m.request('DELETE', '/crud-config')).toMatchObject({ status: 200, body: { success: true } });
    expect((await m.request('GET', '/crud-config')).status).toBe(404);
    expect((await m.request('DELETE', '/crud-config')).status).toBe(404);
    expect((await m.request('PATCH', '/crud-config', { defaultUserActionResult: 'BLOCK' })).status).toBe(404);
    expect(await trackOnce(t, 'crud-user', 'crud-config')).toMatchObject({ state: 'ALLOW', ruleIds: [] });
    // Its rules went with it.
    await m.createConfig('crud-config', 'ALLOW');
    expect((await m.request('GET', '/crud-config/rules')).body).toEqual([]);
  });

  it('manages rules: create, get, list, patch, delete', async () => {
    await m.createConfig('crud-rules', 'ALLOW');
    const conditions = { and: [{ '==': [{ var: 'device.isNew' }, true] }, { '>': [{ var: 'custom.amount' }, 100] }] };
    const rule = await m.createRule('crud-rules', {
      name: 'Large amount from a new device',
      description: 'step up',
      type: 'CHALLENGE',
      priority: 10,
      isActive: true,
      conditions,
    });
    expect(rule).toMatchObject({
      tenantId: t.tenant.tenantId,
      actionCode: 'crud-rules',
      name: 'Large amount from a new device',
      description: 'step up',
      type: 'CHALLENGE',
      priority: 10,
      isActive: true,
      conditions,
    });
    expect(rule.ruleId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await m.request('GET', `/crud-rules/rules/${rule.ruleId}`)).body).toEqual(rule);
    const second = await m.createRule('crud-rules', {
      name: 'first',
      type: 'BLOCK',
      priority: 1,
      conditions: { '==': [{ var: 'user.id' }, 'x'] },
    });
    expect(second.isActive).toBe(true);
    const listed = await m.request<{ ruleId: string }[]>('GET', '/crud-rules/rules');
    expect(listed.body.map((r) => r.ruleId)).toEqual([second.ruleId, rule.ruleId]);

    const patched = await m.request('PATCH', `/crud-rules/rules/${rule.ruleId}`, { name: 'renamed', type: 'REVIEW' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      ruleId: rule.ruleId,
      name: 'renamed',
      type: 'REVIEW',
      priority: 10,
      conditions,
    });
    expect((await m.request('GET', `/crud-rules/rules/${rule.ruleId}`)).body).toMatchObject({ name: 'renamed' });
    const tracked = await trackOnce(t, 'crud-rules-user', 'crud-rules', { deviceId: 'd', custom: { amount: 101 } });
    expect(tracked).toMatchObject({ state: 'REVIEW_REQUIRED', ruleIds: [rule.ruleId] });

    expect(await m.request('DELETE', `/crud-rules/rules/${rule.ruleId}`)).toMatchObject({
      status: 200,
      body: { success: true },
    });
    expect((await m.request('GET', `/crud-rules/rules/${rule.ruleId}`)).status).toBe(404);
    expect((await m.request('PATCH', `/crud-rules/rules/${rule.ruleId}`, { name: 'x' })).status).toBe(404);
    expect((await m.request('DELETE', `/crud-rules/rules/${rule.ruleId}`)).status).toBe(404);
    const after = await m.request<{ ruleId: string }[]>('GET', '/crud-rules/rules');
    expect(after.body.map((r) => r.ruleId)).toEqual([second.ruleId]);
    const untouched = await trackOnce(t, 'crud-rules-user2', 'crud-rules', { deviceId: 'd', custom: { amount: 101 } });
    expect(untouched).toMatchObject({ state: 'ALLOW', ruleIds: [] });
    // A rule is found only under its own action.
    await m.createConfig('crud-rules-elsewhere');
    expect((await m.request('GET', `/crud-rules-elsewhere/rules/${second.ruleId}`)).status).toBe(404);
  });

  it('serves the same configurations and rules at /action_configurations', async () => {
    const underscore = management(t.apiUrl, t.tenant.managementSecretKey, '/action_configurations');
    const config = await underscore.createConfig('underscore', 'REVIEW');
    expect((await m.request('GET', '/underscore')).body).toEqual(config);
    const rule = await underscore.createRule('underscore', {
      name: 'u',
      type: 'BLOCK',
      priority: 0,
      conditions: { '==': [{ var: 'custom.flag' }, true] },
    });
    expect((await m.request('GET', `/underscore/rules/${rule.ruleId}`)).body).toEqual(rule);
    const hyphenRule = await m.createRule('underscore', {
      name: 'h',
      type: 'ALLOW',
      priority: 1,
      conditions: { '==': [{ var: 'custom.flag' }, false] },
    });
    const listed = await underscore.request<{ ruleId: string }[]>('GET', '/underscore/rules');
    expect(listed.body.map((r) => r.ruleId)).toEqual([rule.ruleId, hyphenRule.ruleId]);
    expect((await underscore.request('PATCH', `/underscore/rules/${hyphenRule.ruleId}`, { priority: 2 })).status).toBe(
      200,
    );
    expect(await trackOnce(t, 'underscore-user', 'underscore', { custom: { flag: true } })).toMatchObject({
      state: 'BLOCK',
    });
    expect(await trackOnce(t, 'underscore-user', 'underscore', { custom: { flag: 'other' } })).toMatchObject({
      state: 'REVIEW_REQUIRED',
    });
    expect((await underscore.request('DELETE', `/underscore/rules/${rule.ruleId}`)).status).toBe(200);
    expect((await m.request('GET', `/underscore/rules/${rule.ruleId}`)).status).toBe(404);
    expect((await underscore.request('DELETE', '/underscore')).status).toBe(200);
    expect((await m.request('GET', '/underscore')).status).toBe(404);
  });

  it('answers 401 to a server key or no key on the Management API', async () => {
    const withServerKey = management(t.apiUrl, t.tenant.apiSecretKey);
    expect((await withServerKey.request('GET', '')).status).toBe(401);
    const res = await fetch(`${t.apiUrl}/management/action-configurations`);
    expect(res.status).toBe(401);
  });
});

/** Time-dependent rule variables, with a clock the test moves. */
describe.each(databases)('rules over time ($name)', (db) => {
  let t: TestServer;
  let m: ManagementClient;
  const clock = new ManualClock(Date.now());
  beforeAll(async () => {
    t = await startTestServer(db, {}, { clock });
    m = management(t.apiUrl, t.tenant.managementSecretKey);
    afterTrack = () => {};
  });
  afterAll(() => t.close());

  it('counts only the actions inside the velocity window', async () => {
    await m.createConfig('window', 'ALLOW');
    await m.createRule('window', {
      name: 'repeat within 10 minutes',
      type: 'BLOCK',
      priority: 0,
      conditions: { '>=': [{ var: 'velocity.sameActionLast10Minutes' }, 1] },
    });
    expect((await trackOnce(t, 'window-user', 'window')).state).toBe('ALLOW');
    clock.advance(11 * 60_000);
    expect((await trackOnce(t, 'window-user', 'window')).state).toBe('ALLOW');
    clock.advance(9 * 60_000);
    expect((await trackOnce(t, 'window-user', 'window')).state).toBe('BLOCK');
  });

  it('reports device.isNew false for a device seen earlier, even within the same millisecond', async () => {
    await m.createConfig('same-ms', 'ALLOW');
    await m.createRule('same-ms', {
      name: 'new device',
      type: 'CHALLENGE',
      priority: 0,
      conditions: { '===': [{ var: 'device.isNew' }, true] },
    });
    // The clock does not move between the two tracks.
    expect((await trackOnce(t, 'same-ms-user', 'same-ms', { deviceId: 'dev-1' })).state).toBe('CHALLENGE_REQUIRED');
    expect((await trackOnce(t, 'same-ms-user', 'same-ms', { deviceId: 'dev-1' })).state).toBe('ALLOW');
  });
});

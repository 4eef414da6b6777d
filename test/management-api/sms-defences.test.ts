import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { managementCalls, w } from './management-calls.js';

/** Sigil's SMS defences (/sms-defences): the whole policy, three-state PATCH, and the bounds it enforces. */
describe.each(databases)('SMS defences ($name)', (db) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(db);
  });
  afterAll(async () => {
    await t?.close();
  });
  const { tenant, refuses } = managementCalls(() => t);

  it('sms-defences shows the whole policy with its defaults, and PATCH is three-state', async () => {
    const { call } = await tenant();
    const defaults = t.server.deps.smsPolicies.defaults();
    expect((await call('GET', '/sms-defences')).body).toEqual(defaults);
    const changed = await call('PATCH', '/sms-defences', {
      tenantDailyLimit: 2500,
      ipRateLimitConfigurations: [],
      safeList: ['+6421', '+64211234567', '+6421'],
      lineTypes: { allowFixedLine: true, allowVoip: false },
      modes: { adaptive_prefix: 'enforce', ip_limit: 'off' },
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toEqual({
      ...defaults,
      tenantDailyLimit: 2500,
      ipRateLimitConfigurations: [],
      safeList: ['+6421', '+64211234567'],
      lineTypes: { allowFixedLine: true, allowVoip: false },
      modes: { ...defaults.modes, adaptive_prefix: 'enforce', ip_limit: 'off' },
    });
    const more = (await call('PATCH', '/sms-defences', { modes: { country: 'record_only' }, tenantDailyLimit: null }))
      .body;
    expect(more.modes).toEqual({
      ...defaults.modes,
      adaptive_prefix: 'enforce',
      ip_limit: 'off',
      country: 'record_only',
    });
    expect(more.tenantDailyLimit).toBe(defaults.tenantDailyLimit);
    expect(more.safeList).toEqual(['+6421', '+64211234567']);
    const reset = (await call('PATCH', '/sms-defences', { modes: null, safeList: [] })).body;
    expect(reset).toMatchObject({ modes: defaults.modes, safeList: [], lineTypes: { allowFixedLine: true } });
    // Sigil's resource leaves Authsignal's fields alone: they are changed through the SMS configuration.
    await call('PATCH', '/sms-defences', { isActive: false, smsCountryCodes: ['NZ'] });
    expect((await call('GET', '/sms-defences')).body).toMatchObject({ isActive: true, smsCountryCodes: [] });
  });

  it('sms-defences takes at most five test numbers, each expiring in the future and within a year', async () => {
    const { call } = await tenant();
    const day = 24 * 60 * 60_000;
    const number = (i: number, expiresIn = day) => ({
      phoneNumber: `+6421000100${i}`,
      code: '123456',
      expiresAt: new Date(Date.now() + expiresIn).toISOString(),
    });
    const five = [0, 1, 2, 3, 4].map((i) => number(i));
    expect((await call('PATCH', '/sms-defences', { testNumbers: five })).body.testNumbers).toEqual(five);
    const refusals: [unknown[], RegExp][] = [
      [[...five, number(5)], /testNumbers must NOT have more than 5 items/],
      [[number(0, -60_000)], /^testNumbers\[0\]\.expiresAt must be in the future/],
      [[number(0, 400 * day)], /^testNumbers\[0\]\.expiresAt must be at most a year ahead/],
      [[number(0), number(0)], /^testNumbers\[1\]\.phoneNumber is listed twice/],
      [[{ ...number(0), code: '12' }], /testNumbers\.0\.code must match pattern/],
      [[{ ...number(0), phoneNumber: '021000100' }], /testNumbers\.0\.phoneNumber must match pattern/],
    ];
    await refuses(
      call,
      'PATCH',
      '/sms-defences',
      refusals.map(([testNumbers, d]) => [{ testNumbers }, d]),
    );
    expect((await call('GET', '/sms-defences')).body.testNumbers).toEqual(five);
    expect((await call('PATCH', '/sms-defences', { testNumbers: null })).body.testNumbers).toEqual([]);
  });

  it('sms-defences refuses values out of range, naming the field', async () => {
    const { call } = await tenant();
    await refuses(call, 'PATCH', '/sms-defences', [
      [{ tenantDailyLimit: 0 }, /tenantDailyLimit must be >= 1/],
      [
        { failureBudget: { maxConsecutiveFailures: 101, lockoutMinutes: 60 } },
        /failureBudget\.maxConsecutiveFailures must be <= 100/,
      ],
      [{ modes: { ip_limit: 'block' } }, /modes\.ip_limit must be equal to one of the allowed values/],
      [{ safeList: ['6421'] }, /safeList\.0 must match pattern/],
      [
        { adaptivePrefixBlocking: { minSends: 10, conversionRatio: 2 } },
        /adaptivePrefixBlocking\.conversionRatio must be <= 1/,
      ],
      [{ userRateLimitConfigurations: [w(5, 0)] }, /userRateLimitConfigurations\.0\.windowInMinutes must be >= 1/],
    ]);
  });
});

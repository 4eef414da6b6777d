import { type Authsignal, UserActionState, VerificationMethod } from '@authsignal/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedTenant } from '../../src/modules/tenants/service.js';
import { databases } from '../helpers/databases.js';
import { type ManagementClient, management, type RuleView } from '../helpers/management.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';

const SMS = VerificationMethod.SMS;

/** Tenant B can neither see nor change A's action configurations, rules and actions; A's tokens act on A only. */
describe.each(databases)('tenant isolation of adaptive MFA ($name)', (db) => {
  let t: TestServer;
  let a: ManagementClient;
  let bm: ManagementClient;
  let b: Authsignal;
  let bTenant: CreatedTenant;
  let rule: RuleView;
  let review: { idempotencyKey: string; token: string };
  const aPhone = phone();
  const bPhone = phone();

  beforeAll(async () => {
    t = await startTestServer(db);
    a = management(t.apiUrl, t.tenant.managementSecretKey);
    ({ tenant: bTenant, sdk: b } = await t.newTenant('B'));
    bm = management(t.apiUrl, bTenant.managementSecretKey);

    await a.createConfig('transfer', 'ALLOW');
    rule = await a.createRule('transfer', {
      name: 'big transfer',
      type: 'REVIEW',
      priority: 1,
      conditions: { '>': [{ var: 'custom.amount' }, 1000] },
    });
    review = await t.sdk.track({ userId: 'shared-user', action: 'transfer', attributes: { custom: { amount: 5000 } } });

    // Both tenants have a user called shared-user; only B's has an SMS authenticator.
    await b.enrollVerifiedAuthenticator({
      userId: 'shared-user',
      attributes: { verificationMethod: SMS, phoneNumber: bPhone },
    });
    await t.sdk.enrollVerifiedAuthenticator({
      userId: 'a-only-user',
      attributes: { verificationMethod: SMS, phoneNumber: aPhone },
    });
  });
  afterAll(() => t.close());

  it("does not show A's configurations and rules to B's management key (404)", async () => {
    expect((await bm.request('GET', '/transfer')).status).toBe(404);
    expect((await bm.request('GET', '/transfer/rules')).status).toBe(404);
    expect((await bm.request('GET', `/transfer/rules/${rule.ruleId}`)).status).toBe(404);
    const list = await bm.request<{ actionCode: string }[]>('GET', '');
    expect(list.status).toBe(200);
    expect(list.body).toEqual([]);
    const underscore = management(t.apiUrl, bTenant.managementSecretKey, '/action_configurations');
    expect((await underscore.request('GET', `/transfer/rules/${rule.ruleId}`)).status).toBe(404);
  });

  it("does not let B's management key change or delete A's configurations and rules (404)", async () => {
    expect((await bm.request('PATCH', '/transfer', { defaultUserActionResult: 'BLOCK' })).status).toBe(404);
    expect((await bm.request('PATCH', `/transfer/rules/${rule.ruleId}`, { isActive: false })).status).toBe(404);
    expect((await bm.request('DELETE', `/transfer/rules/${rule.ruleId}`)).status).toBe(404);
    expect(
      (await bm.request('POST', '/transfer/rules', { name: 'x', type: 'ALLOW', conditions: { '==': [1, 1] } })).status,
    ).toBe(404);
    expect((await bm.request('DELETE', '/transfer')).status).toBe(404);

    expect((await a.request('GET', '/transfer')).body).toMatchObject({ defaultUserActionResult: 'ALLOW' });
    expect((await a.request('GET', `/transfer/rules/${rule.ruleId}`)).body).toMatchObject({ isActive: true });
    const tracked = await t.sdk.track({
      userId: 'iso-check',
      action: 'transfer',
      attributes: { custom: { amount: 2000 } },
    });
    expect(tracked).toMatchObject({ state: 'REVIEW_REQUIRED', ruleIds: [rule.ruleId] });
  });

  it("keeps B's configuration of the same action code apart from A's", async () => {
    await bm.createConfig('transfer', 'BLOCK');
    const bRule = await bm.createRule('transfer', {
      name: 'B blocks everything',
      type: 'BLOCK',
      priority: 0,
      conditions: { '==': [1, 1] },
    });
    // B cannot reach A's rule under its own configuration, nor A B's.
    expect((await bm.request('GET', `/transfer/rules/${rule.ruleId}`)).status).toBe(404);
    expect((await a.request('GET', `/transfer/rules/${bRule.ruleId}`)).status).toBe(404);
    expect((await a.request<RuleView[]>('GET', '/transfer/rules')).body.map((r) => r.ruleId)).toEqual([rule.ruleId]);

    expect(
      (await t.sdk.track({ userId: 'iso-a', action: 'transfer', attributes: { custom: { amount: 1 } } })).state,
    ).toBe('ALLOW');
    expect((await b.track({ userId: 'iso-b', action: 'transfer', attributes: { custom: { amount: 1 } } })).state).toBe(
      'BLOCK',
    );
  });

  it("does not let B's server key read, update or list A's actions", async () => {
    const ref = { userId: 'shared-user', action: 'transfer', idempotencyKey: review.idempotencyKey };
    await expect(b.getAction(ref)).rejects.toMatchObject({ statusCode: 404 });
    await expect(
      b.updateAction({ ...ref, attributes: { state: UserActionState.REVIEW_SUCCEEDED } }),
    ).rejects.toMatchObject({
      statusCode: 404,
    });
    expect(await b.queryUserActions({ userId: 'shared-user' })).toEqual([]);
    expect(await b.queryUserActions({ userId: 'shared-user', actionCodes: ['transfer'] })).toEqual([]);

    const action = (await t.sdk.getAction(ref)) as { state: string; stateHistory?: unknown[] };
    expect(action.state).toBe('REVIEW_REQUIRED');
    expect(action.stateHistory).toHaveLength(1);
  });

  it('does not let a management key act as a server key, nor the reverse', async () => {
    const asServer = await t.fetch('/users/shared-user/actions', { key: t.tenant.managementSecretKey });
    expect(asServer.status).toBe(401);
    const asManagement = management(t.apiUrl, t.tenant.apiSecretKey);
    expect((await asManagement.request('GET', '/transfer')).status).toBe(401);
  });

  it("refuses A's track token when B validates it", async () => {
    expect((await t.sdk.validateChallenge({ token: review.token })).state).toBe('REVIEW_REQUIRED');
    const result = await b.validateChallenge({ token: review.token });
    expect(result.isValid).toBe(false);
    expect(result.state).toBeUndefined();
    expect(result.idempotencyKey).toBeUndefined();
  });

  it("uses A's token at the Client API on A's data only, never on B's user of the same ID", async () => {
    const tracked = await t.sdk.track({ userId: 'shared-user', action: 'signIn' });
    const call = (path: string, method = 'POST') =>
      fetch(`${t.apiUrl}/client${path}`, {
        method,
        headers: {
          authorization: `Bearer ${tracked.token}`,
          ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
        },
      });
    // A's shared-user has no authenticator, whatever B's shared-user has.
    const listed = await call('/user-authenticators', 'GET');
    expect(listed.status).toBe(200);
    expect(await listed.json()).toEqual([]);
    const challenged = await call('/challenge/sms');
    expect(challenged.status).toBe(400);
    expect(await challenged.json()).toMatchObject({ error: 'invalid_request' });
    await expect(t.lastCode(bPhone)).rejects.toThrow(/No code was sent/);
    // B's user and actions are untouched.
    expect(await b.getAuthenticators({ userId: 'shared-user' })).toHaveLength(1);
    expect((await b.queryUserActions({ userId: 'shared-user' })).map((x) => x.actionCode)).not.toContain('signIn');
  });

  it("keeps each tenant's JWKS to its own keys", async () => {
    const jwks = async (tenantId: string) =>
      (
        (await (await fetch(`${t.apiUrl}/client/public/${tenantId}/.well-known/jwks`)).json()) as {
          keys: { kid: string }[];
        }
      ).keys;
    const aKids = (await jwks(t.tenant.tenantId)).map((k) => k.kid);
    const bKids = (await jwks(bTenant.tenantId)).map((k) => k.kid);
    expect(aKids.length).toBeGreaterThan(0);
    expect(bKids.length).toBeGreaterThan(0);
    expect(aKids.filter((kid) => bKids.includes(kid))).toEqual([]);
  });
});

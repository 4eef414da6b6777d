import { randomUUID } from 'node:crypto';
import {
  AuthsignalError,
  type GetActionRequest,
  type GetActionResponse,
  UserActionState,
  VerificationMethod,
} from '@authsignal/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import { databases } from '../helpers/databases.js';
import { type ManagementClient, management } from '../helpers/management.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';

const SMS = VerificationMethod.SMS;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** What Sigil's getAction answers beyond the node SDK's type (docs/wire-protocol.md §4.6). */
type ActionDetails = GetActionResponse & {
  ruleIds: string[];
  priorityRuleId?: string;
  attributes: Record<string, unknown>;
  stateHistory: { state: string; reason: string; at: string }[];
};

describe.each(databases)('track, getAction, updateAction and queryUserActions ($name)', (db) => {
  let t: TestServer;
  let m: ManagementClient;
  const clock = new ManualClock(Date.now());
  beforeAll(async () => {
    t = await startTestServer(db, {}, { clock });
    m = management(t.apiUrl, t.tenant.managementSecretKey);
  });
  afterAll(() => t.close());
  const getAction = (req: GetActionRequest) => t.sdk.getAction(req) as Promise<ActionDetails>;

  /** A raw Client API call with a Bearer token, as the browser SDK makes it. */
  async function client(path: string, token: string, body: unknown = undefined) {
    const res = await fetch(`${t.apiUrl}/client${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: await res.json() };
  }

  it('answers track with the state, a token, a url that already has a query, and the enrollment view', async () => {
    const result = await t.sdk.track({
      userId: 'fields-new',
      action: 'fieldsCheck',
      attributes: { redirectUrl: 'https://app.example/done?x=1' },
    });
    expect(result).toMatchObject({
      state: 'ALLOW',
      isEnrolled: false,
      enrolledVerificationMethods: [],
      ruleIds: [],
    });
    expect(result.defaultVerificationMethod).toBeUndefined();
    expect(result.allowedVerificationMethods).toContain(SMS);
    expect(result.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.token).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(result.url).toContain('?');
    // The SDKs append `&mode=popup`: the url must stay parseable and keep its token.
    const url = new URL(`${result.url}&mode=popup`);
    expect(url.searchParams.get('token')).toBe(result.token);
    expect(url.searchParams.get('mode')).toBe('popup');
    // The redirectUrl stays with the action on the server, so a rewritten link cannot redirect the token.
    expect(result.url).not.toContain('app.example');
    const action = await getAction({
      userId: 'fields-new',
      action: 'fieldsCheck',
      idempotencyKey: result.idempotencyKey,
    });
    expect(action.attributes).toMatchObject({ redirectUrl: 'https://app.example/done?x=1' });
  });

  it('reports the enrolled methods, the default method and the matching rules of an enrolled user', async () => {
    await t.sdk.enrollVerifiedAuthenticator({
      userId: 'fields-enrolled',
      attributes: { verificationMethod: SMS, phoneNumber: phone() },
    });
    await m.createConfig('fieldsEnrolled', 'ALLOW');
    const rule = await m.createRule('fieldsEnrolled', {
      name: 'enrolled users are challenged',
      type: 'CHALLENGE',
      priority: 0,
      conditions: { '==': [{ var: 'user.isEnrolled' }, true] },
    });
    const key = randomUUID();
    const result = await t.sdk.track({
      userId: 'fields-enrolled',
      action: 'fieldsEnrolled',
      attributes: { idempotencyKey: key },
    });
    expect(result).toMatchObject({
      state: 'CHALLENGE_REQUIRED',
      idempotencyKey: key,
      isEnrolled: true,
      enrolledVerificationMethods: [SMS],
      defaultVerificationMethod: SMS,
      ruleIds: [rule.ruleId],
    });
  });

  it('creates the user on first sight, with the email and the E.164 phone number from the attributes', async () => {
    const before = await t.sdk.getUser({ userId: 'first-sight' });
    expect(before.email).toBeUndefined();
    await t.sdk.track({
      userId: 'first-sight',
      action: 'signIn',
      attributes: { email: 'first@sight.example', phoneNumber: '+64 21 555 0101', username: 'firsty' },
    });
    const user = await t.sdk.getUser({ userId: 'first-sight' });
    expect(user).toMatchObject({
      isEnrolled: false,
      email: 'first@sight.example',
      phoneNumber: '+64215550101',
      username: 'firsty',
    });
    const found = await t.sdk.queryUsers({ email: 'first@sight.example' });
    expect(found.users.map((u) => u.userId)).toEqual(['first-sight']);
    // A later track without attributes keeps what is stored.
    await t.sdk.track({ userId: 'first-sight', action: 'signIn' });
    expect((await t.sdk.getUser({ userId: 'first-sight' })).email).toBe('first@sight.example');
  });

  it('refuses invalid action codes and scopes with 400 invalid_request', async () => {
    for (const action of ['bad code!', 'x'.repeat(65), 'semi;colon']) {
      const err = await t.sdk.track({ userId: 'bad-input', action }).catch((e) => e);
      expect(err).toBeInstanceOf(AuthsignalError);
      expect(err).toMatchObject({ statusCode: 400, errorCode: 'invalid_request' });
    }
    await expect(
      t.sdk.track({ userId: 'bad-input', action: 'ok', attributes: { scope: 'root:everything' } }),
    ).rejects.toMatchObject({ statusCode: 400, errorCode: 'invalid_request' });
    expect(await t.sdk.queryUserActions({ userId: 'bad-input' })).toEqual([]);
  });

  it('refuses a redirectUrl that is not absolute, or whose scheme would run code', async () => {
    for (const redirectUrl of ['/done', 'app.example.com/cb', 'javascript:alert(1)', 'data:text/html,x']) {
      await expect(
        t.sdk.track({ userId: 'redirect-user', action: 'ok', attributes: { redirectUrl } }),
      ).rejects.toMatchObject({ statusCode: 400, errorCode: 'invalid_request' });
    }
    for (const redirectUrl of ['https://app.example.com/cb?x=1', 'authsignal://auth']) {
      await expect(
        t.sdk.track({ userId: 'redirect-user', action: 'ok', attributes: { redirectUrl } }),
      ).resolves.toMatchObject({ state: 'ALLOW' });
    }
  });

  it('stores a phone attribute as given when it is no international number, and normalises one that is', async () => {
    // authsignalgo's own suite tracks with "1234567890" and expects the track to succeed.
    await t.sdk.track({ userId: 'local-phone', action: 'ok', attributes: { phoneNumber: '1234567890' } });
    expect(await t.sdk.getUser({ userId: 'local-phone' })).toMatchObject({ phoneNumber: '1234567890' });
    await t.sdk.track({ userId: 'intl-phone', action: 'ok', attributes: { phoneNumber: '+64 21 555 0123' } });
    expect(await t.sdk.getUser({ userId: 'intl-phone' })).toMatchObject({ phoneNumber: '+64215550123' });
  });

  it('returns the recorded action on a retry with the same idempotencyKey, without creating another', async () => {
    await m.createConfig('retry', 'ALLOW');
    const key = randomUUID();
    const first = await t.sdk.track({ userId: 'retry-user', action: 'retry', attributes: { idempotencyKey: key } });
    expect(first).toMatchObject({ state: 'ALLOW', idempotencyKey: key });
    // A rule added in between does not change the recorded decision.
    await m.createRule('retry', { name: 'block', type: 'BLOCK', priority: 0, conditions: { '==': [1, 1] } });
    clock.advance(1000);
    const again = await t.sdk.track({ userId: 'retry-user', action: 'retry', attributes: { idempotencyKey: key } });
    expect(again).toMatchObject({ state: 'ALLOW', idempotencyKey: key, ruleIds: [] });
    expect(again.token).toMatch(/^ey/);
    const actions = await t.sdk.queryUserActions({ userId: 'retry-user' });
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ idempotencyKey: key, state: 'ALLOW' });
    const action = await getAction({ userId: 'retry-user', action: 'retry', idempotencyKey: key });
    expect(action.stateHistory).toHaveLength(1);
    // A new track without the key is a new action, and the rule applies to it.
    expect((await t.sdk.track({ userId: 'retry-user', action: 'retry' })).state).toBe('BLOCK');
  });

  it('refuses an idempotencyKey that belongs to another user or another action', async () => {
    const key = randomUUID();
    await t.sdk.track({ userId: 'key-owner', action: 'signIn', attributes: { idempotencyKey: key } });
    await expect(
      t.sdk.track({ userId: 'key-thief', action: 'signIn', attributes: { idempotencyKey: key } }),
    ).rejects.toMatchObject({ statusCode: 400, errorCode: 'invalid_request' });
    await expect(
      t.sdk.track({ userId: 'key-owner', action: 'withdraw', attributes: { idempotencyKey: key } }),
    ).rejects.toMatchObject({ statusCode: 400, errorCode: 'invalid_request' });
    expect(await t.sdk.queryUserActions({ userId: 'key-thief' })).toEqual([]);
  });

  it('deletes the actions and their state history with the user', async () => {
    const { idempotencyKey } = await t.sdk.track({ userId: 'history-gone', action: 'deleteMe' });
    const history = () =>
      t.server.deps.db
        .selectFrom('action_state_changes')
        .selectAll()
        .where('idempotency_key', '=', idempotencyKey)
        .execute();
    expect(await history()).toHaveLength(1);
    await t.sdk.deleteUser({ userId: 'history-gone' });
    expect(await history()).toHaveLength(0);
    expect(await t.sdk.queryUserActions({ userId: 'history-gone' })).toEqual([]);
  });

  it('records one action for 20 concurrent tracks with one new idempotencyKey', async () => {
    await m.createConfig('concurrent', 'CHALLENGE');
    const key = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        t.sdk.track({ userId: 'concurrent-user', action: 'concurrent', attributes: { idempotencyKey: key } }),
      ),
    );
    for (const r of results) expect(r).toMatchObject({ idempotencyKey: key, state: 'CHALLENGE_REQUIRED' });
    const actions = await t.sdk.queryUserActions({ userId: 'concurrent-user' });
    expect(actions.map((a) => a.idempotencyKey)).toEqual([key]);
    const action = await getAction({ userId: 'concurrent-user', action: 'concurrent', idempotencyKey: key });
    expect(action.stateHistory).toEqual([{ state: 'CHALLENGE_REQUIRED', reason: 'rules', at: expect.any(String) }]);
  });

  it('describes an action with getAction: state, times, rules, output, attributes and history', async () => {
    await m.createConfig('describe', 'ALLOW');
    const rule = await m.createRule('describe', {
      name: 'From New Zealand',
      description: 'NZ traffic is reviewed',
      type: 'REVIEW',
      priority: 4,
      conditions: { '==': [{ var: 'ip.location.country.countryCode' }, 'NZ'] },
    });
    const other = await m.createRule('describe', {
      name: 'Has an amount',
      type: 'ALLOW',
      priority: 9,
      conditions: { '>': [{ var: 'custom.amount' }, 0] },
    });
    const attributes = { ipAddress: '203.109.128.1', deviceId: 'dev-describe', custom: { amount: 12 } };
    const tracked = await t.sdk.track({ userId: 'describe-user', action: 'describe', attributes });
    const action = await getAction({
      userId: 'describe-user',
      action: 'describe',
      idempotencyKey: tracked.idempotencyKey,
    });
    expect(action).toMatchObject({
      state: 'REVIEW_REQUIRED',
      ruleIds: [rule.ruleId, other.ruleId],
      priorityRuleId: rule.ruleId,
      rules: [
        { ruleId: rule.ruleId, name: 'From New Zealand', description: 'NZ traffic is reviewed' },
        { ruleId: other.ruleId, name: 'Has an amount' },
      ],
      output: {},
      attributes,
      stateHistory: [{ state: 'REVIEW_REQUIRED', reason: 'rules' }],
    });
    expect(action.stateUpdatedAt).toMatch(ISO);
    expect(action.createdAt).toBe(new Date(clock.now()).toISOString());
    expect(action.stateHistory[0]?.at).toBe(action.createdAt);
    expect(action.verificationMethod).toBeUndefined();
  });

  it('answers getAction with 404 for an unknown key, or a key of another user or action', async () => {
    const { idempotencyKey } = await t.sdk.track({ userId: 'get-404', action: 'signIn' });
    for (const req of [
      { userId: 'get-404', action: 'signIn', idempotencyKey: randomUUID() },
      { userId: 'someone-else', action: 'signIn', idempotencyKey },
      { userId: 'get-404', action: 'withdraw', idempotencyKey },
    ]) {
      await expect(t.sdk.getAction(req)).rejects.toMatchObject({ statusCode: 404, errorCode: 'not_found' });
    }
  });

  it('shows the verification in getAction once the Client API challenge succeeds', async () => {
    const to = phone();
    await t.sdk.enrollVerifiedAuthenticator({
      userId: 'verified-user',
      attributes: { verificationMethod: SMS, phoneNumber: to },
    });
    await m.createConfig('stepUp', 'CHALLENGE');
    const tracked = await t.sdk.track({ userId: 'verified-user', action: 'stepUp' });
    expect(tracked.state).toBe('CHALLENGE_REQUIRED');
    clock.advance(1000);
    expect((await client('/challenge/sms', tracked.token)).status).toBe(200);
    clock.advance(1000);
    const verified = await client('/verify/sms', tracked.token, { verificationCode: await t.lastCode(to) });
    expect(verified.body.isVerified).toBe(true);
    const action = await getAction({
      userId: 'verified-user',
      action: 'stepUp',
      idempotencyKey: tracked.idempotencyKey,
    });
    expect(action).toMatchObject({
      state: 'CHALLENGE_SUCCEEDED',
      verificationMethod: SMS,
      stateUpdatedAt: new Date(clock.now()).toISOString(),
    });
    expect(action.stateHistory.map((h) => [h.state, h.reason])).toEqual([
      ['CHALLENGE_REQUIRED', 'rules'],
      ['CHALLENGE_REQUIRED', 'challenge_sent'],
      ['CHALLENGE_SUCCEEDED', 'verified'],
    ]);
    const [listed] = await t.sdk.queryUserActions({ userId: 'verified-user' });
    expect(listed).toMatchObject({ state: 'CHALLENGE_SUCCEEDED', verificationMethod: SMS });
  });

  it('moves a REVIEW_REQUIRED action with updateAction and records the change in its history', async () => {
    await m.createConfig('reviewed', 'REVIEW');
    const tracked = await t.sdk.track({ userId: 'review-user', action: 'reviewed' });
    expect(tracked.state).toBe('REVIEW_REQUIRED');
    clock.advance(5000);
    const ref = { userId: 'review-user', action: 'reviewed', idempotencyKey: tracked.idempotencyKey };
    const updated = await t.sdk.updateAction({ ...ref, attributes: { state: UserActionState.REVIEW_SUCCEEDED } });
    expect(updated.state).toBe('REVIEW_SUCCEEDED');
    const action = await getAction(ref);
    expect(action.state).toBe('REVIEW_SUCCEEDED');
    expect(action.stateUpdatedAt).toBe(new Date(clock.now()).toISOString());
    expect(Date.parse(action.stateUpdatedAt) - Date.parse(action.createdAt)).toBe(5000);
    expect(action.stateHistory.map((h) => [h.state, h.reason])).toEqual([
      ['REVIEW_REQUIRED', 'rules'],
      ['REVIEW_SUCCEEDED', 'api'],
    ]);

    const invalid = await t.sdk
      .updateAction({ ...ref, attributes: { state: 'APPROVED' as UserActionState } })
      .catch((e) => e);
    expect(invalid).toMatchObject({ statusCode: 400, errorCode: 'invalid_request' });
    expect((await getAction(ref)).state).toBe('REVIEW_SUCCEEDED');
    await expect(
      t.sdk.updateAction({ ...ref, idempotencyKey: randomUUID(), attributes: { state: UserActionState.BLOCK } }),
    ).rejects.toMatchObject({ statusCode: 404 });
  });

  it('refuses updateAction to CHALLENGE_SUCCEEDED with a 400 and leaves the action as it was', async () => {
    await m.createConfig('forged', 'CHALLENGE');
    const tracked = await t.sdk.track({ userId: 'forge-user', action: 'forged' });
    expect(tracked.state).toBe('CHALLENGE_REQUIRED');
    const ref = { userId: 'forge-user', action: 'forged', idempotencyKey: tracked.idempotencyKey };
    for (const state of ['CHALLENGE_SUCCEEDED', 'CHALLENGE_REQUIRED', 'CHALLENGE_FAILED']) {
      const refused = await t.sdk
        .updateAction({ ...ref, attributes: { state: state as UserActionState } })
        .catch((e) => e);
      expect(refused).toBeInstanceOf(AuthsignalError);
      expect(refused).toMatchObject({ statusCode: 400, errorCode: 'invalid_request' });
      expect(refused.errorDescription).toMatch(/^updateAction may set state to ALLOW, BLOCK, REVIEW_REQUIRED/);
    }
    const action = await getAction(ref);
    expect(action.state).toBe('CHALLENGE_REQUIRED');
    expect(action.stateHistory.map((h) => [h.state, h.reason])).toEqual([['CHALLENGE_REQUIRED', 'rules']]);
    // No forged success reaches the backend: the track token still does not validate.
    expect(await t.sdk.validateChallenge({ action: 'forged', token: tracked.token })).toMatchObject({
      isValid: false,
      state: 'CHALLENGE_REQUIRED',
    });
  });

  it('lists a user’s actions newest first, filtered by fromDate, codes and state', async () => {
    await m.createConfig('qBlocked', 'BLOCK');
    const start = clock.now();
    const a1 = await t.sdk.track({ userId: 'query-user', action: 'qAllowed' });
    clock.advance(1000);
    const b1 = await t.sdk.track({ userId: 'query-user', action: 'qBlocked' });
    clock.advance(1000);
    const a2 = await t.sdk.track({ userId: 'query-user', action: 'qAllowed' });
    clock.advance(1000);
    await t.sdk.track({ userId: 'query-other-user', action: 'qAllowed' });

    const all = await t.sdk.queryUserActions({ userId: 'query-user' });
    expect(Array.isArray(all)).toBe(true);
    expect(all.map((a) => a.idempotencyKey)).toEqual([a2.idempotencyKey, b1.idempotencyKey, a1.idempotencyKey]);
    expect(all[1]).toMatchObject({
      actionCode: 'qBlocked',
      state: 'BLOCK',
      createdAt: new Date(start + 1000).toISOString(),
      stateUpdatedAt: new Date(start + 1000).toISOString(),
    });

    const since = await t.sdk.queryUserActions({
      userId: 'query-user',
      fromDate: new Date(start + 1000).toISOString(),
    });
    expect(since.map((a) => a.idempotencyKey)).toEqual([a2.idempotencyKey, b1.idempotencyKey]);
    const byCode = await t.sdk.queryUserActions({ userId: 'query-user', actionCodes: ['qAllowed'] });
    expect(byCode.map((a) => a.idempotencyKey)).toEqual([a2.idempotencyKey, a1.idempotencyKey]);
    const byCodes = await t.sdk.queryUserActions({ userId: 'query-user', actionCodes: ['qAllowed', 'qBlocked'] });
    expect(byCodes).toHaveLength(3);
    const byState = await t.sdk.queryUserActions({ userId: 'query-user', state: UserActionState.BLOCK });
    expect(byState.map((a) => a.idempotencyKey)).toEqual([b1.idempotencyKey]);
    const combined = await t.sdk.queryUserActions({
      userId: 'query-user',
      fromDate: new Date(start + 1500).toISOString(),
      actionCodes: ['qBlocked'],
    });
    expect(combined).toEqual([]);
    expect(await t.sdk.queryUserActions({ userId: 'query-nobody' })).toEqual([]);
    await expect(t.sdk.queryUserActions({ userId: 'query-user', fromDate: 'yesterday' })).rejects.toMatchObject({
      statusCode: 400,
    });
  });
});

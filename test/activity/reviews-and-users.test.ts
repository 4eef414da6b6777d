import { AuthScope } from '@authsignal/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases } from '../helpers/databases.js';
import { type ManagementClient, management } from '../helpers/management.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';
import { signedIn } from '../portal-access/portal-client.js';

// biome-ignore lint/suspicious/noExplicitAny: replies are read loosely and checked member by member.
type Body = any;

describe.each(databases)('users, activity, action detail and reviews ($name)', (db) => {
  let t: TestServer;
  let api: ManagementClient;
  const userId = `u-${Date.now()}`;
  const userPhone = phone();

  beforeAll(async () => {
    t = await startTestServer(db);
    api = management(t.apiUrl, t.tenant.managementSecretKey, '');
    const rules = management(t.apiUrl, t.tenant.managementSecretKey);
    await rules.createConfig('withdraw', 'ALLOW');
    await rules.createRule('withdraw', {
      name: 'risky',
      type: 'REVIEW',
      priority: 10,
      conditions: { '==': [{ var: 'custom.plan' }, 'risky'] },
    });
    await rules.createRule('withdraw', { name: 'never', type: 'BLOCK', priority: 20, conditions: { '==': [1, 2] } });
    await t.sdk.updateUser({
      userId,
      attributes: { email: 'Ann@Example.com', phoneNumber: userPhone, displayName: 'Ann' },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  const get = async (path: string, client: ManagementClient = api) => {
    const res = await client.request<Body>('GET', path);
    expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(200);
    return res.body;
  };
  const review = () =>
    t.sdk.track({
      userId,
      action: 'withdraw',
      attributes: { ipAddress: '8.8.8.8', deviceId: 'dev-1', userAgent: 'Test/1', custom: { plan: 'risky' } },
    });

  it('finds users by ID, email in any case, full number and last digits; pages newest first', async () => {
    for (const query of [userId, 'ann@example.COM', userPhone, userPhone.slice(-4), userPhone.slice(-7)]) {
      const body = await get(`/users?query=${encodeURIComponent(query)}`);
      expect(
        body.users.map((u: Body) => u.userId),
        query,
      ).toContain(userId);
    }
    const found = (await get(`/users?query=${encodeURIComponent(userPhone)}`)).users[0];
    expect(found).toEqual({
      userId,
      email: 'Ann@Example.com',
      phoneNumber: userPhone,
      displayName: 'Ann',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect((await get('/users?query=no-such-user')).users).toEqual([]);
    for (let i = 0; i < 3; i++)
      await t.sdk.updateUser({ userId: `${userId}-p${i}`, attributes: { displayName: `P${i}` } });
    const first = await get('/users?limit=2');
    expect(first.users).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await get(`/users?limit=2&cursor=${first.nextCursor}`);
    const seen = [...first.users, ...second.users].map((u: Body) => u.userId);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.slice(0, 3)).toEqual([`${userId}-p2`, `${userId}-p1`, `${userId}-p0`]);
    expect((await api.request('GET', '/users?cursor=bogus!')).status).toBe(400);
    expect((await api.request('GET', '/users?limit=0')).status).toBe(400);
  });

  it('shows a user with their authenticators; 404 for an unknown one', async () => {
    const { challengeId } = await t.sdk.challenge({
      verificationMethod: 'SMS',
      action: 'enroll',
      userId,
      phoneNumber: userPhone,
      scope: AuthScope.addAuthenticators,
    });
    await t.sdk.verify({ challengeId, verificationCode: await t.lastCode(userPhone) });
    const body = await get(`/users/${userId}`);
    expect(body.user).toMatchObject({ userId, phoneNumber: userPhone, emailVerified: false, username: null });
    expect(body.authenticators).toMatchObject([{ verificationMethod: 'SMS', phoneNumber: userPhone }]);
    const missing = await api.request<Body>('GET', '/users/nobody');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: 'not_found', errorCode: 'not_found' });
  });

  it("finds a user by their authenticator's last digits; deletes the authenticator (audited)", async () => {
    const other = `${userId}-auth`;
    const number = phone();
    const { challengeId } = await t.sdk.challenge({
      verificationMethod: 'SMS',
      action: 'enroll',
      userId: other,
      phoneNumber: number,
      scope: AuthScope.addAuthenticators,
    });
    await t.sdk.verify({ challengeId, verificationCode: await t.lastCode(number) });
    await t.sdk.updateUser({ userId: other, attributes: { displayName: 'No number of its own' } });
    const found = await get(`/users?query=${number.slice(-6)}`);
    expect(found.users.map((u: Body) => u.userId)).toContain(other);
    const [authenticator] = (await get(`/users/${other}`)).authenticators;
    const path = `/users/${other}/authenticators/${authenticator.authenticatorId}`;
    expect((await api.request('DELETE', path)).status).toBe(200);
    expect((await get(`/users/${other}`)).authenticators).toEqual([]);
    expect((await api.request('DELETE', path)).status).toBe(404);
    const entry = (await get('/audit-log')).entries.find((e: Body) => e.path.endsWith(path) && e.status === 200);
    expect(entry.before.authenticators).toHaveLength(1);
    expect(entry.after.authenticators).toEqual([]);
  });

  it('lists the user activity newest first, actions and challenges, with IP, device and rules', async () => {
    const tracked = await review();
    const body = await get(`/users/${userId}/activity`);
    const top = body.items[0];
    expect(top).toMatchObject({
      kind: 'action',
      actionCode: 'withdraw',
      idempotencyKey: tracked.idempotencyKey,
      state: 'REVIEW_REQUIRED',
      ipAddress: '8.8.8.8',
      country: 'US',
      deviceId: 'dev-1',
      userAgent: 'Test/1',
    });
    expect(top.ruleIds).toHaveLength(1);
    expect(body.items.some((i: Body) => i.kind === 'challenge' && i.state === 'verified')).toBe(true);
    const paged = await get(`/users/${userId}/activity?limit=1`);
    const next = await get(`/users/${userId}/activity?limit=1&cursor=${paged.nextCursor}`);
    expect(next.items[0]).toEqual(body.items[1]);
  });

  it('shows the activity of a user ID that has challenges but no user record, and 404s one with neither', async () => {
    const unrecorded = `no-record-${Date.now()}`;
    const { challengeId } = await t.sdk.challenge({
      verificationMethod: 'SMS',
      action: 'signIn',
      userId: unrecorded,
      phoneNumber: phone(),
    });
    const row = await t.server.deps.db
      .selectFrom('users')
      .select('user_id')
      .where('user_id', '=', unrecorded)
      .executeTakeFirst();
    expect(row).toBeUndefined();
    const body = await get(`/users/${unrecorded}/activity`);
    expect(body.items.map((i: Body) => i.challengeId)).toContain(challengeId);
    expect((await api.request('GET', `/users/never-${unrecorded}/activity`)).status).toBe(404);
  });

  it('approves a review: the SDK sees REVIEW_SUCCEEDED, the timeline and audit log show who decided', async () => {
    const { idempotencyKey } = await review();
    const queue = await get('/reviews?limit=200');
    expect(queue.items.map((i: Body) => i.idempotencyKey)).toContain(idempotencyKey);
    const { client, operator } = await signedIn(t, 'support');
    const res = await client.management('POST', `/reviews/${idempotencyKey}`, t.tenant.tenantId, {
      decision: 'approve',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ idempotencyKey, state: 'REVIEW_SUCCEEDED', decidedBy: `operator:${operator.email}` });
    const action = await t.sdk.getAction({ userId, action: 'withdraw', idempotencyKey });
    expect(action?.state).toBe('REVIEW_SUCCEEDED');
    expect((await get('/reviews?limit=200')).items.map((i: Body) => i.idempotencyKey)).not.toContain(idempotencyKey);

    const detail = await get(`/actions/${idempotencyKey}`);
    expect(detail.action).toMatchObject({ state: 'REVIEW_SUCCEEDED', outcome: 'REVIEW_REQUIRED', country: 'US' });
    expect(detail.rules).toEqual([
      expect.objectContaining({ name: 'risky', type: 'REVIEW', matched: true, deciding: true }),
      expect.objectContaining({ name: 'never', type: 'BLOCK', matched: false, deciding: false }),
    ]);
    expect(detail.timeline.map((e: Body) => e.kind)).toEqual(['state_change', 'state_change', 'review_decision']);
    expect(detail.timeline[2]).toMatchObject({ decision: 'approved', decidedBy: `operator:${operator.email}` });

    const again = await client.management('POST', `/reviews/${idempotencyKey}`, t.tenant.tenantId, {
      decision: 'reject',
    });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: 'action_not_in_review', errorCode: 'action_not_in_review' });

    const entries = (await get('/audit-log')).entries as Body[];
    const entry = entries.find((e) => e.action === 'reviews.decide' && e.status === 200);
    expect(entry).toMatchObject({ actor: { kind: 'operator', email: operator.email.toLowerCase() } });
    expect(entry.before.action.state).toBe('REVIEW_REQUIRED');
    expect(entry.after.action.state).toBe('REVIEW_SUCCEEDED');
  });

  it('rejects a review with the management key: REVIEW_FAILED, and validateChallenge is not valid', async () => {
    const { idempotencyKey, token } = await review();
    const res = await api.request<Body>('POST', `/reviews/${idempotencyKey}`, { decision: 'reject' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ state: 'REVIEW_FAILED', decidedBy: expect.stringMatching(/^key:/) });
    expect((await t.sdk.getAction({ userId, action: 'withdraw', idempotencyKey }))?.state).toBe('REVIEW_FAILED');
    if (token) expect(await t.sdk.validateChallenge({ token })).toMatchObject({ isValid: false });
    expect((await api.request('POST', '/reviews/no-such-action', { decision: 'approve' })).status).toBe(404);
    expect((await api.request('POST', `/reviews/${idempotencyKey}`, { decision: 'maybe' })).status).toBe(400);
  });

  it('two reviewers at once: one wins, the other gets 409', async () => {
    const { idempotencyKey } = await review();
    const answers = await Promise.all(
      ['approve', 'reject'].map((decision) => api.request('POST', `/reviews/${idempotencyKey}`, { decision })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    const changes = (await get(`/actions/${idempotencyKey}`)).timeline.filter(
      (e: Body) => e.kind === 'review_decision',
    );
    expect(changes).toHaveLength(1);
  });

  it('roles: viewer reads masked numbers and may not decide; developer may not decide', async () => {
    const { idempotencyKey } = await review();
    const { client: viewer } = await signedIn(t, 'viewer');
    const tenant = t.tenant.tenantId;
    const users = await viewer.management('GET', `/users?query=${encodeURIComponent(userPhone)}`, tenant);
    expect(users.status).toBe(200);
    expect(users.body.users[0].phoneNumber).not.toBe(userPhone);
    expect(users.body.users[0].phoneNumber).toMatch(/\*|•|x/i);
    const detail = await viewer.management('GET', `/users/${userId}`, tenant);
    expect(detail.body.authenticators[0].phoneNumber).not.toBe(userPhone);
    const activity = await viewer.management('GET', `/users/${userId}/activity`, tenant);
    expect(JSON.stringify(activity.body)).not.toContain(userPhone);
    expect(
      (await viewer.management('POST', `/reviews/${idempotencyKey}`, tenant, { decision: 'approve' })).status,
    ).toBe(403);
    const { client: developer } = await signedIn(t, 'developer');
    expect(
      (await developer.management('POST', `/reviews/${idempotencyKey}`, tenant, { decision: 'approve' })).status,
    ).toBe(403);
    expect((await t.sdk.getAction({ userId, action: 'withdraw', idempotencyKey }))?.state).toBe('REVIEW_REQUIRED');
  });

  it("isolation: another tenant sees none of this tenant's users, actions, challenges or reviews", async () => {
    const { idempotencyKey } = await review();
    const { challengeId } = await t.sdk.challenge({
      verificationMethod: 'SMS',
      action: 'signIn',
      phoneNumber: userPhone,
    });
    const { tenant } = await t.newTenant('other');
    const other = management(t.apiUrl, tenant.managementSecretKey, '');
    expect((await other.request<Body>('GET', `/users?query=${userId}`)).body.users).toEqual([]);
    expect((await other.request<Body>('GET', `/users?query=${userPhone.slice(-4)}`)).body.users).toEqual([]);
    expect((await other.request<Body>('GET', '/users')).body.users).toEqual([]);
    expect((await other.request('GET', `/users/${userId}`)).status).toBe(404);
    expect((await other.request('GET', `/users/${userId}/activity`)).status).toBe(404);
    expect((await other.request('GET', `/actions/${idempotencyKey}`)).status).toBe(404);
    expect((await other.request('GET', `/challenges/${challengeId}`)).status).toBe(404);
    expect((await other.request<Body>('GET', '/reviews')).body.items).toEqual([]);
    expect((await other.request('POST', `/reviews/${idempotencyKey}`, { decision: 'approve' })).status).toBe(404);
    expect((await t.sdk.getAction({ userId, action: 'withdraw', idempotencyKey }))?.state).toBe('REVIEW_REQUIRED');
  });
});

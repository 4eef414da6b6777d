import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { UNAUTHORIZED_DESCRIPTION } from '../../src/errors.js';
import { databases } from '../helpers/databases.js';
import { management } from '../helpers/management.js';
import { phone } from '../helpers/server.js';
import { expectError, expectOk } from './replay.js';
import { java } from './server-sdks.js';
import { useServerSdk } from './server-suite.js';

/**
 * authsignal-java 2.10.1 (`AuthsignalClient`, java.net.http on JDK 17, Gson): `updateUser` is a POST;
 * Gson leaves nulls out and writes `=`, `&`, `<`, `>`, `'` as \u00XX; JDK 17 sends
 * `Content-Length: 0` on a GET and a DELETE; the SDK sets its User-Agent on GET only. The scenarios
 * are those of the SDK's JUnit suite (`AuthsignalClientTests`), which Authsignal runs against its
 * service.
 */
describe.each(databases)('Java SDK (authsignal-java 2.10.1) over the wire ($name)', (db) => {
  const s = useServerSdk(db, java, 'signIn');

  const enroll = async (userId: string) => {
    const res = await s.sdk.call('POST', `/users/${userId}/authenticators`, {
      verificationMethod: 'SMS',
      phoneNumber: '+6427000000',
    });
    expectOk(res);
    return res;
  };

  it('testInvalidApiSecretKey: 401 with the error and errorDescription the SDK maps', async () => {
    const res = await s.sdk.withKey('invalid_secret').call('GET', `/users/${randomUUID()}`);
    expectError(res, 401, 'unauthorized');
    expect(res.json.errorDescription, res.transcript).toBe(UNAUTHORIZED_DESCRIPTION);
  });

  it('testUser: enroll +6427000000, getUser, updateUser (POST) with +6427123456, deleteUser, getUser', async () => {
    const userId = randomUUID();
    await enroll(userId);
    const user = await s.sdk.call('GET', `/users/${userId}`);
    expect(user.transcript).toContain('Content-Length: 0\r\n');
    expectOk(user);
    expect(user.json.isEnrolled, user.transcript).toBe(true);
    expect(user.json.email ?? null, user.transcript).toBeNull();

    const attributes = {
      email: 'test@example.com',
      phoneNumber: '+6427123456',
      username: 'Test User',
      displayName: 'test@example.com',
      custom: { baz: 1, foo: 'bar' },
    };
    const updated = await s.sdk.call('POST', `/users/${userId}`, attributes);
    expectOk(updated);
    expect(updated.json, updated.transcript).toMatchObject(attributes);

    expectOk(await s.sdk.call('DELETE', `/users/${userId}`));
    const gone = await s.sdk.call('GET', `/users/${userId}`);
    expectOk(gone);
    expect(gone.json.isEnrolled, gone.transcript).toBe(false);
  });

  it('testAuthenticator: enroll, getAuthenticators, deleteAuthenticator, none left', async () => {
    const userId = randomUUID();
    await enroll(userId);
    const listed = await s.sdk.call('GET', `/users/${userId}/authenticators`);
    expectOk(listed);
    expect(listed.json[0], listed.transcript).toMatchObject({ verificationMethod: 'SMS', phoneNumber: '+6427000000' });
    const deleted = await s.sdk.call('DELETE', `/users/${userId}/authenticators/${listed.json[0].userAuthenticatorId}`);
    expectOk(deleted);
    const empty = await s.sdk.call('GET', `/users/${userId}/authenticators`);
    expectOk(empty);
    expect(empty.json, empty.transcript).toEqual([]);
  });

  it('testAction: track with custom data → CHALLENGE_REQUIRED, validateChallenge, updateAction REVIEW_REQUIRED, getAction', async () => {
    const userId = randomUUID();
    await enroll(userId);
    const tracked = await s.sdk.call('POST', `/users/${userId}/actions/signIn`, { custom: { baz: 1, foo: 'bar' } });
    expectOk(tracked);
    expect(tracked.json.state, tracked.transcript).toBe('CHALLENGE_REQUIRED');
    const key = tracked.json.idempotencyKey as string;

    const validated = await s.sdk.call('POST', '/validate', { token: tracked.json.token });
    expectOk(validated);
    expect(validated.json, validated.transcript).toMatchObject({
      state: 'CHALLENGE_REQUIRED',
      idempotencyKey: key,
      userId,
      actionCode: 'signIn',
    });

    const updated = await s.sdk.call('PATCH', `/users/${userId}/actions/signIn/${key}`, { state: 'REVIEW_REQUIRED' });
    expectOk(updated);
    expect(updated.json.state, updated.transcript).toBe('REVIEW_REQUIRED');
    const got = await s.sdk.call('GET', `/users/${userId}/actions/signIn/${key}`);
    expectOk(got);
    expect(got.json, got.transcript).toMatchObject({ state: 'REVIEW_REQUIRED', createdAt: expect.any(String) });
  });

  it('testQueryUsers: updateUser (POST) with an email, queryUsers by email, with limit=1', async () => {
    const userId = randomUUID();
    const email = `test-${randomUUID()}@example.com`;
    expectOk(await s.sdk.call('POST', `/users/${userId}`, { email }));
    // URLEncoder.encode: the @ becomes %40.
    const found = await s.sdk.call('GET', `/users?email=${encodeURIComponent(email)}`);
    expectOk(found);
    expect(found.json.users[0], found.transcript).toMatchObject({ userId, email });
    const limited = await s.sdk.call('GET', `/users?limit=1&email=${encodeURIComponent(email)}`);
    expectOk(limited);
    expect(limited.json.users.length, limited.transcript).toBeLessThanOrEqual(1);
    expectOk(await s.sdk.call('DELETE', `/users/${userId}`));
  });

  it('testQueryUserActions: track without attributes ({}), queryUserActions, filtered by codes', async () => {
    const userId = randomUUID();
    await enroll(userId);
    const tracked = await s.sdk.call('POST', `/users/${userId}/actions/signIn`, {});
    expectOk(tracked);
    const all = await s.sdk.call('GET', `/users/${userId}/actions`);
    expectOk(all);
    expect(all.json[0], all.transcript).toMatchObject({
      actionCode: 'signIn',
      idempotencyKey: tracked.json.idempotencyKey,
      createdAt: expect.any(String),
      state: 'CHALLENGE_REQUIRED',
    });
    const filtered = await s.sdk.call('GET', `/users/${userId}/actions?codes=signIn`);
    expectOk(filtered);
    expect(filtered.json.length, filtered.transcript).toBe(1);
    expect((await s.sdk.call('GET', `/users/${userId}/actions?codes=other`)).json).toEqual([]);
  });

  it("reads Gson's \\u003d and \\u0026 escapes: the redirectUrl is stored as written", async () => {
    const tracked = await s.sdk.call('POST', `/users/${randomUUID()}/actions/signIn`, {
      redirectUrl: 'https://app.example/done?from=java&step=2',
    });
    expect(tracked.transcript).toContain('"redirectUrl":"https://app.example/done?from\\u003djava\\u0026step\\u003d2"');
    expectOk(tracked);
    const context = await s.wire.send({
      method: 'GET',
      path: '/v1/client/hosted/context',
      headers: [['Authorization', `Bearer ${tracked.json.token}`]],
    });
    expectOk(context);
    expect(context.json.redirectUrl, context.transcript).toBe('https://app.example/done?from=java&step=2');
  });

  it('challenge, verify, claimChallenge, validateChallenge', async () => {
    const to = phone();
    const userId = randomUUID();
    const started = await s.sdk.call('POST', '/challenge', {
      verificationMethod: 'SMS',
      action: 'signIn',
      phoneNumber: to,
    });
    expectOk(started);
    const challengeId = started.json.challengeId as string;
    const code = await s.t.lastCode(to);
    const wrong = await s.sdk.call('POST', '/verify', {
      challengeId,
      verificationCode: code === '000000' ? '111111' : '000000',
    });
    // Java's VerifyResponse has no failureReason field; it is on the wire all the same.
    expect(wrong.json, wrong.transcript).toEqual({ isVerified: false, failureReason: 'CODE_INVALID_OR_EXPIRED' });
    const right = await s.sdk.call('POST', '/verify', { challengeId, verificationCode: code });
    expectOk(right);
    expect(right.json, right.transcript).toMatchObject({ isVerified: true, phoneNumber: to });
    const claimed = await s.sdk.call('POST', '/claim', { challengeId, userId });
    expectOk(claimed);
    expect(claimed.json.verificationMethod, claimed.transcript).toBe('SMS');
    const validated = await s.sdk.call('POST', '/validate', { token: claimed.json.token, userId, action: 'signIn' });
    expectOk(validated);
    expect(validated.json, validated.transcript).toMatchObject({
      isValid: true,
      state: 'CHALLENGE_SUCCEEDED',
      userId,
      actionCode: 'signIn',
    });
  });

  it('getChallenge: the SDK POSTs /v1/challengeschallengeId=… (its bug, a typed 404); GET /challenges answers', async () => {
    const to = phone();
    const started = await s.sdk.call('POST', '/challenge', {
      verificationMethod: 'SMS',
      action: 'signIn',
      phoneNumber: to,
    });
    expectOk(started);
    const challengeId = started.json.challengeId as string;
    const buggy = await s.sdk.call('POST', `/challengeschallengeId=${challengeId}`, { challengeId });
    expectError(buggy, 404, 'not_found');
    const described = await s.sdk.call('GET', `/challenges?challengeId=${challengeId}`);
    expectOk(described);
    expect(described.json, described.transcript).toMatchObject({ challengeId, phoneNumber: to, action: 'signIn' });
  });

  it('sessions: createSession, validateSession with clientIds, refreshSession, revokeSession, revokeUserSessions', async () => {
    const client = await management(s.t.apiUrl, s.t.tenant.managementSecretKey, '/session-clients').request(
      'POST',
      '',
      {
        name: 'java-app',
      },
    );
    expect(client.status).toBe(200);
    const clientId = client.body.clientId as string;
    const userId = randomUUID();

    const signIn = async () => {
      const to = phone();
      const started = await s.sdk.call('POST', '/challenge', {
        verificationMethod: 'SMS',
        action: 'signIn',
        phoneNumber: to,
      });
      const challengeId = started.json.challengeId as string;
      expectOk(await s.sdk.call('POST', '/verify', { challengeId, verificationCode: await s.t.lastCode(to) }));
      const claimed = await s.sdk.call('POST', '/claim', { challengeId, userId });
      expectOk(claimed);
      const created = await s.sdk.call('POST', '/sessions', { clientId, token: claimed.json.token });
      expectOk(created);
      return created.json as { accessToken: string; refreshToken: string };
    };

    const first = await signIn();
    const validated = await s.sdk.call('POST', '/sessions/validate', {
      accessToken: first.accessToken,
      clientIds: [clientId],
    });
    expectOk(validated);
    // ValidateSessionResponse: user and an int expiresAt.
    expect(validated.json, validated.transcript).toMatchObject({ user: { userId }, expiresAt: expect.any(Number) });
    expect(validated.json.expiresAt, validated.transcript).toBeLessThan(2 ** 31);

    const refreshed = await s.sdk.call('POST', '/sessions/refresh', { refreshToken: first.refreshToken });
    expectOk(refreshed);
    expectOk(await s.sdk.call('POST', '/sessions/revoke', { accessToken: refreshed.json.accessToken }));
    expectError(
      await s.sdk.call('POST', '/sessions/validate', { accessToken: refreshed.json.accessToken }),
      401,
      'invalid_token',
    );

    const second = await signIn();
    expectOk(await s.sdk.call('POST', '/sessions/user/revoke', { userId }));
    expectError(
      await s.sdk.call('POST', '/sessions/validate', { accessToken: second.accessToken }),
      401,
      'invalid_token',
    );
  });
});

import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { UNAUTHORIZED_DESCRIPTION } from '../../src/errors.js';
import { databases } from '../helpers/databases.js';
import { phone } from '../helpers/server.js';
import { expectError, expectOk } from './replay.js';
import { dotnet } from './server-sdks.js';
import { useServerSdk } from './server-suite.js';

/**
 * authsignal-dotnet (`AuthsignalClient`, HttpClient and System.Text.Json with camelCase names and
 * `WhenWritingNull`). It was not run against Sigil (no .NET SDK on these machines); its requests are
 * derived from its source: bodies labelled `application/json; charset=utf-8`, nulls left out, but
 * `redirectToSettings: false` on every track and `skipVerificationCheck: false` on every claim
 * (record defaults), and the default encoder's escapes (`+` as `\u002B`, so every E.164 number). It
 * reads `error` and `errorDescription` from errors and `actionCode` from /validate. The scenarios are
 * those of its xUnit suite (`ClientTests`).
 */
describe.each(databases)('.NET SDK (authsignal-dotnet) over the wire ($name)', (db) => {
  const s = useServerSdk(db, dotnet, 'Login');

  const enroll = async (userId: string) => {
    const res = await s.sdk.call('POST', `/users/${userId}/authenticators`, {
      verificationMethod: 'SMS',
      phoneNumber: '+64270000000',
    });
    expect(res.transcript).toContain('"phoneNumber":"\\u002B64270000000"');
    expectOk(res);
    expect(res.json.authenticator.phoneNumber, res.transcript).toBe('+64270000000');
    return res;
  };

  it('TestUser: enroll, GetUser, UpdateUser (PATCH, custom string/bool/number), DeleteUser, GetUser', async () => {
    const userId = randomUUID();
    await enroll(userId);
    const user = await s.sdk.call('GET', `/users/${userId}`);
    expectOk(user);
    expect(user.json.isEnrolled, user.transcript).toBe(true);
    expect(user.json.email ?? null, user.transcript).toBeNull();

    const attributes = {
      email: 'test@example.com',
      phoneNumber: '+6427123456',
      username: 'test@example.com',
      displayName: 'Test User',
      custom: { foo: 'bar', baz: true, qux: 123 },
    };
    const updated = await s.sdk.call('PATCH', `/users/${userId}`, attributes);
    expect(updated.transcript).toContain('Content-Type: application/json; charset=utf-8\r\n');
    expectOk(updated);
    expect(updated.json, updated.transcript).toMatchObject(attributes);

    expectOk(await s.sdk.call('DELETE', `/users/${userId}`));
    const gone = await s.sdk.call('GET', `/users/${userId}`);
    expectOk(gone);
    expect(gone.json.isEnrolled, gone.transcript).toBe(false);
  });

  it('TestAuthenticator: enroll, GetAuthenticators, DeleteAuthenticator, none left', async () => {
    const userId = randomUUID();
    await enroll(userId);
    const listed = await s.sdk.call('GET', `/users/${userId}/authenticators`);
    expectOk(listed);
    expect(listed.json[0], listed.transcript).toMatchObject({
      userId,
      userAuthenticatorId: expect.any(String),
      verificationMethod: 'SMS',
      createdAt: expect.any(String),
    });
    expectOk(await s.sdk.call('DELETE', `/users/${userId}/authenticators/${listed.json[0].userAuthenticatorId}`));
    expect((await s.sdk.call('GET', `/users/${userId}/authenticators`)).json).toEqual([]);
  });

  it('TestAction: Track sends {"redirectToSettings":false}; ValidateChallenge reads actionCode; UpdateAction; GetAction', async () => {
    const userId = randomUUID();
    await enroll(userId);
    const tracked = await s.sdk.call('POST', `/users/${userId}/actions/Login`, { redirectToSettings: false });
    expectOk(tracked);
    expect(tracked.json, tracked.transcript).toMatchObject({
      state: 'CHALLENGE_REQUIRED',
      idempotencyKey: expect.any(String),
      url: expect.stringContaining('?'),
      token: expect.stringMatching(/^ey/),
      isEnrolled: true,
    });
    const key = tracked.json.idempotencyKey as string;

    const validated = await s.sdk.call('POST', '/validate', { token: tracked.json.token });
    expectOk(validated);
    expect(validated.json, validated.transcript).toMatchObject({
      isValid: false,
      state: 'CHALLENGE_REQUIRED',
      userId,
      actionCode: 'Login',
    });

    expectOk(await s.sdk.call('PATCH', `/users/${userId}/actions/Login/${key}`, { state: 'REVIEW_REQUIRED' }));
    const got = await s.sdk.call('GET', `/users/${userId}/actions/Login/${key}`);
    expectOk(got);
    expect(got.json, got.transcript).toMatchObject({
      state: 'REVIEW_REQUIRED',
      stateUpdatedAt: expect.any(String),
      createdAt: expect.any(String),
    });
  });

  it('Challenge (escaped +, locale), Verify, ClaimChallenge with skipVerificationCheck false, ValidateChallenge', async () => {
    const to = phone();
    const userId = randomUUID();
    const started = await s.sdk.call('POST', '/challenge', {
      verificationMethod: 'SMS',
      action: 'Login',
      phoneNumber: to,
      locale: 'en-NZ',
    });
    expect(started.transcript).toContain(`"phoneNumber":"\\u002B${to.slice(1)}"`);
    expectOk(started);
    // ChallengeResponse(string ChallengeId, string IdempotencyKey, int ExpiresAt).
    expect(started.json, started.transcript).toEqual({
      challengeId: expect.any(String),
      idempotencyKey: expect.any(String),
      expiresAt: expect.any(Number),
    });
    expect(Number.isInteger(started.json.expiresAt), started.transcript).toBe(true);
    const challengeId = started.json.challengeId as string;

    const verified = await s.sdk.call('POST', '/verify', { challengeId, verificationCode: await s.t.lastCode(to) });
    expectOk(verified);
    expect(verified.json, verified.transcript).toMatchObject({
      isVerified: true,
      phoneNumber: to,
      verificationMethod: 'SMS',
    });

    const claimed = await s.sdk.call('POST', '/claim', { challengeId, userId, skipVerificationCheck: false });
    expectOk(claimed);
    expect(claimed.json, claimed.transcript).toEqual({
      token: expect.stringMatching(/^ey/),
      verificationMethod: 'SMS',
    });

    const validated = await s.sdk.call('POST', '/validate', { token: claimed.json.token, userId, action: 'Login' });
    expectOk(validated);
    expect(validated.json, validated.transcript).toMatchObject({
      isValid: true,
      state: 'CHALLENGE_SUCCEEDED',
      userId,
      actionCode: 'Login',
      verificationMethod: 'SMS',
    });
  });

  it('QueryUsers by email and QueryUserActions by action code', async () => {
    const userId = randomUUID();
    const email = `net-${randomUUID()}@example.com`;
    expectOk(await s.sdk.call('PATCH', `/users/${userId}`, { email }));
    const found = await s.sdk.call('GET', `/users?email=${encodeURIComponent(email)}`);
    expectOk(found);
    expect(found.json.users, found.transcript).toMatchObject([{ userId, email, emailVerified: false }]);

    const tracked = await s.sdk.call('POST', `/users/${userId}/actions/Login`, { redirectToSettings: false });
    expectOk(tracked);
    const actions = await s.sdk.call('GET', `/users/${userId}/actions?codes=Login`);
    expectOk(actions);
    expect(actions.json, actions.transcript).toMatchObject([
      { actionCode: 'Login', idempotencyKey: tracked.json.idempotencyKey, state: 'CHALLENGE_REQUIRED' },
    ]);
  });

  it('TestInvalidSecretError: 401 with error "unauthorized" and the standard description', async () => {
    const res = await s.sdk.withKey('invalid_secret').call('GET', `/users/${randomUUID()}`);
    expectError(res, 401, 'unauthorized');
    expect(res.json.errorDescription, res.transcript).toBe(UNAUTHORIZED_DESCRIPTION);
  });
});

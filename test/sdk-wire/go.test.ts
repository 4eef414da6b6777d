import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { UNAUTHORIZED_DESCRIPTION } from '../../src/errors.js';
import { databases } from '../helpers/databases.js';
import { management } from '../helpers/management.js';
import { phone } from '../helpers/server.js';
import { expectError, expectOk } from './replay.js';
import { go } from './server-sdks.js';
import { useServerSdk } from './server-suite.js';

/**
 * authsignalgo v2.2.0 (`client/*.go`, encoding/json over net/http). Its request structs decide the
 * bodies: most fields are `omitempty`, but `TrackAttributes.RedirectToSettings` (`*bool`) and
 * `Crypto.AssetAmount`/`AssetAmountUsd` (`*float32`) are not, so they go out as `null` when unset;
 * `ChallengeRequest.VerificationMethod`/`Action`, `VerifyRequest` and `ClaimChallengeRequest` fields
 * are always sent; a Track without attributes sends `{}`.
 * The scenarios are those of the SDK's own integration suite (`go test ./client`), which Authsignal
 * runs against its service.
 */

/** `TrackAttributes` as encoding/json writes it: struct order, omitempty except redirectToSettings. */
interface GoTrackAttributes {
  idempotencyKey?: string;
  redirectUrl?: string;
  redirectToSettings?: boolean;
  email?: string;
  phoneNumber?: string;
  ipAddress?: string;
  userAgent?: string;
  username?: string;
  challengeId?: string;
  deviceId?: string;
  scope?: string;
  custom?: Record<string, unknown>;
  crypto?: { asset?: string; address?: string; txnHash?: string; assetAmount?: number; assetAmountUsd?: number };
}

function goTrack(a: GoTrackAttributes): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (a.idempotencyKey) out.idempotencyKey = a.idempotencyKey;
  if (a.redirectUrl) out.redirectUrl = a.redirectUrl;
  out.redirectToSettings = a.redirectToSettings ?? null;
  for (const key of [
    'email',
    'phoneNumber',
    'ipAddress',
    'userAgent',
    'username',
    'challengeId',
    'deviceId',
    'scope',
  ] as const) {
    if (a[key]) out[key] = a[key];
  }
  if (a.custom) out.custom = a.custom;
  if (a.crypto) {
    const c = a.crypto;
    out.crypto = {
      ...(c.asset ? { asset: c.asset } : {}),
      ...(c.address ? { address: c.address } : {}),
      ...(c.txnHash ? { txnHash: c.txnHash } : {}),
      assetAmount: c.assetAmount ?? null,
      assetAmountUsd: c.assetAmountUsd ?? null,
    };
  }
  return out;
}

describe.each(databases)('Go SDK (authsignalgo v2.2.0) over the wire ($name)', (db) => {
  const action = 'go-sdk-test';
  const s = useServerSdk(db, go, action);

  async function enroll(userId: string, phoneNumber: string) {
    const res = await s.sdk.call('POST', `/users/${userId}/authenticators`, { verificationMethod: 'SMS', phoneNumber });
    expectOk(res);
    return res;
  }

  it('Track with attributes but RedirectToSettings unset: "redirectToSettings": null is absent', async () => {
    const userId = `go-user-${randomUUID()}`;
    const body = goTrack({ phoneNumber: '+64270000000' });
    const res = await s.sdk.call('POST', `/users/${userId}/actions/signIn`, body);
    expect(res.transcript).toContain('{"redirectToSettings":null,"phoneNumber":"+64270000000"}');
    expectOk(res);
    expect(res.json, res.transcript).toMatchObject({
      state: 'ALLOW',
      idempotencyKey: expect.any(String),
      token: expect.stringMatching(/^ey/),
      url: expect.stringContaining('?'),
    });
    const user = await s.sdk.call('GET', `/users/${userId}`);
    expectOk(user);
    expect(user.json.phoneNumber, user.transcript).toBe('+64270000000');
  });

  it('Track with a partly set Crypto: its null amounts are accepted', async () => {
    const res = await s.sdk.call(
      'POST',
      `/users/go-crypto-${randomUUID()}/actions/withdraw`,
      goTrack({ ipAddress: '127.0.0.1', crypto: { asset: 'BTC', address: 'bc1qexample' } }),
    );
    expect(res.transcript).toContain(
      '"crypto":{"asset":"BTC","address":"bc1qexample","assetAmount":null,"assetAmountUsd":null}',
    );
    expectOk(res);
    expect(res.json.state, res.transcript).toBe('ALLOW');
  });

  it('TestTrackWithoutAttributes: the body is {}, and the action is tracked', async () => {
    const userId = `go-null-${randomUUID()}`;
    await enroll(userId, phone());
    const res = await s.sdk.call('POST', `/users/${userId}/actions/${action}`, { raw: '{}' });
    expectOk(res);
    expect(res.json, res.transcript).toMatchObject({
      state: 'CHALLENGE_REQUIRED',
      idempotencyKey: expect.any(String),
      token: expect.stringMatching(/^ey/),
    });
  });

  it('TestActions: track with phoneNumber "1234567890" → CHALLENGE_REQUIRED, GetAction, UpdateAction BLOCK', async () => {
    const userId = `user123-${randomUUID()}`;
    await enroll(userId, '+6427000000');
    const tracked = await s.sdk.call(
      'POST',
      `/users/${userId}/actions/${action}`,
      goTrack({
        redirectUrl: 'http://localhost:3000',
        redirectToSettings: true,
        email: 'not-a-real-email@authsignal.com',
        phoneNumber: '1234567890',
        ipAddress: '127.0.0.1',
        userAgent: 'Authsignal-Go-SDK-Tests/1.0',
        deviceId: 'device123',
        custom: { hello: 'world' },
      }),
    );
    expectOk(tracked);
    expect(tracked.json, tracked.transcript).toMatchObject({
      state: 'CHALLENGE_REQUIRED',
      idempotencyKey: expect.any(String),
      isEnrolled: true,
      url: expect.stringContaining('?'),
      token: expect.stringMatching(/^ey/),
    });
    expect(tracked.json.allowedVerificationMethods.length, tracked.transcript).toBeGreaterThan(0);
    const key = tracked.json.idempotencyKey as string;

    const got = await s.sdk.call('GET', `/users/${userId}/actions/${action}/${key}`);
    expectOk(got);
    expect(got.json.state, got.transcript).toBe('CHALLENGE_REQUIRED');
    expect(got.json.output, got.transcript).toBeTypeOf('object');
    expect(got.json.output, got.transcript).not.toBeNull();

    const updated = await s.sdk.call('PATCH', `/users/${userId}/actions/${action}/${key}`, { state: 'BLOCK' });
    expectOk(updated);
    expect(updated.json.state, updated.transcript).toBe('BLOCK');

    // The phone number the suite tracks is no E.164 number: it is kept as given.
    const user = await s.sdk.call('GET', `/users/${userId}`);
    expect(user.json.phoneNumber, user.transcript).toBe('1234567890');
  });

  it('TestValidateChallenge: a fresh track token validates as isValid false with state, userId, action', async () => {
    const userId = `user123-${randomUUID()}`;
    await enroll(userId, '+6427000000');
    const tracked = await s.sdk.call(
      'POST',
      `/users/${userId}/actions/${action}`,
      goTrack({
        redirectUrl: 'http://localhost:3000',
        redirectToSettings: true,
        email: 'not-a-real-email@authsignal.com',
        phoneNumber: '1234567890',
        ipAddress: '127.0.0.1',
        userAgent: 'Authsignal-Go-SDK-Tests/1.0',
        deviceId: 'device123',
      }),
    );
    expectOk(tracked);
    const validated = await s.sdk.call('POST', '/validate', { token: tracked.json.token, userId, action });
    expectOk(validated);
    expect(validated.json, validated.transcript).toMatchObject({
      isValid: false,
      state: 'CHALLENGE_REQUIRED',
      userId,
      action,
      idempotencyKey: tracked.json.idempotencyKey,
    });
  });

  it('TestGetActionWithBadSecret: GET …/actions/go-sdk-test/ with a bad key is 401 unauthorized, not 404', async () => {
    const bad = s.sdk.withKey('bad-secret');
    const res = await bad.call('GET', `/users/test-user/actions/${action}/`);
    expectError(res, 401, 'unauthorized');
    expect(res.json.errorDescription, res.transcript).toBe(UNAUTHORIZED_DESCRIPTION);
  });

  it('answers a bad key with 401 on any unknown path under /v1 and /v1/management, a good key with 404', async () => {
    const bad = s.sdk.withKey('bad-secret');
    const unknown: [string, string][] = [
      ['GET', '/no-such-route'],
      ['POST', '/users/u1/no-such-route'],
      ['DELETE', '/users/u1/actions/a/b/c'],
      ['GET', '/v1/challenges'],
    ];
    for (const [method, path] of unknown) {
      const res = await bad.call(method, path, method === 'POST' ? {} : undefined);
      expectError(res, 401, 'unauthorized');
      expect(res.json.errorDescription, res.transcript).toBe(UNAUTHORIZED_DESCRIPTION);
    }
    for (const path of ['/management/no-such-route', '/management/action-configurations/x/y/z']) {
      // Neither a wrong key nor the server key opens the Management API.
      for (const client of [bad, s.sdk]) expectError(await client.call('GET', path), 401, 'unauthorized');
    }
    const management404 = await s.sdk.withKey(s.t.tenant.managementSecretKey).call('GET', '/management/no-such-route');
    expectError(management404, 404, 'not_found');
    for (const [method, path] of unknown) {
      expectError(await s.sdk.call(method, path, method === 'POST' ? {} : undefined), 404, 'not_found');
    }
  });

  it('TestUsers: UpdateUser (PATCH) with phoneNumber "9876543210" reads back unchanged; DeleteUser; GetUser', async () => {
    const userId = `a-new-user-${randomUUID()}`;
    // UserAttributes in struct order: Custom, Username, DisplayName, Email, PhoneNumber, all omitempty.
    const updated = await s.sdk.call('PATCH', `/users/${userId}`, {
      displayName: 'A New User',
      phoneNumber: '9876543210',
    });
    expectOk(updated);
    expect(updated.json, updated.transcript).toMatchObject({ phoneNumber: '9876543210', displayName: 'A New User' });

    const got = await s.sdk.call('GET', `/users/${userId}`);
    expectOk(got);
    expect(got.json, got.transcript).toMatchObject({ phoneNumber: '9876543210', displayName: 'A New User' });

    expectOk(await s.sdk.call('DELETE', `/users/${userId}`));
    const gone = await s.sdk.call('GET', `/users/${userId}`);
    expectOk(gone);
    expect(gone.json.isEnrolled, gone.transcript).toBe(false);
  });

  it('TestQueryUsers: UpdateUser with an email, then QueryUsers by email finds the user', async () => {
    const userId = `query-test-user-go-${randomUUID()}`;
    const email = `query-test-go-${randomUUID()}@authsignal.com`;
    expectOk(await s.sdk.call('PATCH', `/users/${userId}`, { displayName: 'Query Test User Go', email }));
    // url.Values.Encode percent-encodes the @.
    const found = await s.sdk.call('GET', `/users?email=${encodeURIComponent(email)}`);
    expectOk(found);
    expect(found.json.users, found.transcript).toEqual(
      expect.arrayContaining([expect.objectContaining({ userId, email })]),
    );
    expectOk(await s.sdk.call('DELETE', `/users/${userId}`));
  });

  it('Challenge, Verify (wrong, then right), ClaimChallenge, ValidateChallenge', async () => {
    const to = phone();
    const userId = `go-signin-${randomUUID()}`;
    const started = await s.sdk.call('POST', '/challenge', {
      verificationMethod: 'SMS',
      action: 'signInWithSms',
      phoneNumber: to,
    });
    expectOk(started);
    expect(started.json, started.transcript).toMatchObject({
      challengeId: expect.any(String),
      expiresAt: expect.any(Number),
    });
    const challengeId = started.json.challengeId as string;
    const code = await s.t.lastCode(to);

    const wrong = await s.sdk.call('POST', '/verify', {
      challengeId,
      verificationCode: code === '000000' ? '111111' : '000000',
    });
    expectOk(wrong);
    // Go's VerifyResponse has no failureReason field; it is on the wire all the same.
    expect(wrong.json, wrong.transcript).toEqual({ isVerified: false, failureReason: 'CODE_INVALID_OR_EXPIRED' });

    const right = await s.sdk.call('POST', '/verify', { challengeId, verificationCode: code });
    expectOk(right);
    expect(right.json, right.transcript).toMatchObject({
      isVerified: true,
      phoneNumber: to,
      verificationMethod: 'SMS',
    });

    const claimed = await s.sdk.call('POST', '/claim', { challengeId, userId });
    expectOk(claimed);
    expect(claimed.json, claimed.transcript).toEqual({
      token: expect.stringMatching(/^ey/),
      verificationMethod: 'SMS',
    });

    const validated = await s.sdk.call('POST', '/validate', {
      token: claimed.json.token,
      userId,
      action: 'signInWithSms',
    });
    expectOk(validated);
    expect(validated.json, validated.transcript).toMatchObject({
      isValid: true,
      state: 'CHALLENGE_SUCCEEDED',
      userId,
      action: 'signInWithSms',
      verificationMethod: 'SMS',
    });
  });

  it('GetChallenge: the SDK requests /v1/v1/challenges (its bug, a typed 404); the right path answers', async () => {
    const to = phone();
    const started = await s.sdk.call('POST', '/challenge', {
      verificationMethod: 'SMS',
      action: 'signInWithSms',
      phoneNumber: to,
    });
    expectOk(started);
    const query = `challengeId=${started.json.challengeId}`;
    // GetChallenge joins ApiUrl with the path of a URL that already holds ApiUrl's /v1.
    expectError(await s.sdk.call('GET', `/v1/challenges?${query}`), 404, 'not_found');
    const described = await s.sdk.call('GET', `/challenges?${query}`);
    expectOk(described);
    expect(described.json, described.transcript).toMatchObject({
      challengeId: started.json.challengeId,
      verificationMethod: 'SMS',
      phoneNumber: to,
      action: 'signInWithSms',
    });
  });

  it('EnrollVerifiedAuthenticator, again with another number (updated in place), GetAuthenticators, DeleteAuthenticator', async () => {
    const userId = `go-auth-${randomUUID()}`;
    const first = await enroll(userId, '+6427000000');
    expect(first.json.authenticator, first.transcript).toMatchObject({
      userAuthenticatorId: expect.any(String),
      verificationMethod: 'SMS',
      phoneNumber: '+6427000000',
    });
    const second = await enroll(userId, '+6427123456');
    expect(second.json.authenticator.userAuthenticatorId, second.transcript).toBe(
      first.json.authenticator.userAuthenticatorId,
    );

    const listed = await s.sdk.call('GET', `/users/${userId}/authenticators`);
    expectOk(listed);
    expect(listed.json, listed.transcript).toMatchObject([{ verificationMethod: 'SMS', phoneNumber: '+6427123456' }]);

    const id = first.json.authenticator.userAuthenticatorId as string;
    expectOk(await s.sdk.call('DELETE', `/users/${userId}/authenticators/${id}`));
    const empty = await s.sdk.call('GET', `/users/${userId}/authenticators`);
    expectOk(empty);
    expect(empty.json, empty.transcript).toEqual([]);
  });

  /** A verified, claimed SMS sign-in: the token createSession takes. */
  async function signedIn(userId: string): Promise<string> {
    const to = phone();
    const started = await s.sdk.call('POST', '/challenge', {
      verificationMethod: 'SMS',
      action: 'signInWithSms',
      phoneNumber: to,
    });
    expectOk(started);
    const challengeId = started.json.challengeId as string;
    expectOk(await s.sdk.call('POST', '/verify', { challengeId, verificationCode: await s.t.lastCode(to) }));
    const claimed = await s.sdk.call('POST', '/claim', { challengeId, userId });
    expectOk(claimed);
    return claimed.json.token as string;
  }

  it('sessions: CreateSession, ValidateSession (with and without clientIds), RefreshSession, RevokeSession', async () => {
    const client = await management(s.t.apiUrl, s.t.tenant.managementSecretKey, '/session-clients').request(
      'POST',
      '',
      {
        name: 'go-app',
      },
    );
    expect(client.status).toBe(200);
    const clientId = client.body.clientId as string;
    const userId = `go-session-${randomUUID()}`;

    const created = await s.sdk.call('POST', '/sessions', { clientId, token: await signedIn(userId) });
    expectOk(created);
    expect(created.json, created.transcript).toEqual({
      accessToken: expect.stringMatching(/^ey/),
      refreshToken: expect.any(String),
    });

    // ValidateSessionRequest: clientIds is omitempty.
    for (const body of [
      { accessToken: created.json.accessToken },
      { accessToken: created.json.accessToken, clientIds: [clientId] },
    ]) {
      const validated = await s.sdk.call('POST', '/sessions/validate', body);
      expectOk(validated);
      expect(validated.json, validated.transcript).toMatchObject({ user: { userId }, expiresAt: expect.any(Number) });
      expect(Number.isInteger(validated.json.expiresAt), validated.transcript).toBe(true);
    }

    const refreshed = await s.sdk.call('POST', '/sessions/refresh', { refreshToken: created.json.refreshToken });
    expectOk(refreshed);
    expect(refreshed.json.refreshToken, refreshed.transcript).not.toBe(created.json.refreshToken);

    expectOk(await s.sdk.call('POST', '/sessions/revoke', { accessToken: refreshed.json.accessToken }));
    expectError(
      await s.sdk.call('POST', '/sessions/validate', { accessToken: refreshed.json.accessToken }),
      401,
      'invalid_token',
    );
  });

  it('sessions: RevokeUserSessions posts /users/{userId}/sessions/revoke with no body', async () => {
    const client = await management(s.t.apiUrl, s.t.tenant.managementSecretKey, '/session-clients').request(
      'POST',
      '',
      {
        name: 'go-app-2',
      },
    );
    const clientId = client.body.clientId as string;
    const userId = `go-revoke-${randomUUID()}`;
    const created = await s.sdk.call('POST', '/sessions', { clientId, token: await signedIn(userId) });
    expectOk(created);

    const revoked = await s.sdk.call('POST', `/users/${userId}/sessions/revoke`);
    expect(revoked.transcript).toContain('Content-Length: 0\r\n');
    expectOk(revoked);
    expectError(
      await s.sdk.call('POST', '/sessions/validate', { accessToken: created.json.accessToken }),
      401,
      'invalid_token',
    );
  });

  it('answers something that is no phone number at all with a typed 400', async () => {
    const res = await s.sdk.call('POST', '/challenge', {
      verificationMethod: 'SMS',
      action: 'signInWithSms',
      phoneNumber: 'not-a-number',
    });
    expectError(res, 400, 'invalid_request');
  });

  it('refuses EMAIL_OTP enrollment with a typed 400 (Sigil is SMS-only; TestAuthenticators fails on it)', async () => {
    const res = await s.sdk.call('POST', `/users/go-email-${randomUUID()}/authenticators`, {
      verificationMethod: 'EMAIL_OTP',
      email: 'not-a-real-email@authsignal.com',
    });
    expectError(res, 400, 'invalid_request');
  });
});

import { randomUUID } from 'node:crypto';
import { VerificationMethod } from '@authsignal/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import { databases } from '../helpers/databases.js';
import { type ManagementClient, management } from '../helpers/management.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';

const SMS = VerificationMethod.SMS;
const ORIGIN = 'https://shop.example';

interface ClientResponse {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: the Client API answers many shapes; tests read fields directly.
  body: any;
}

/** Raw Client API calls, as the browser SDK makes them: JSON content type always, the body only when there is one. */
function clientOf(get: () => TestServer) {
  return async function call(
    path: string,
    init: { method?: string; token?: string; authorization?: string; body?: unknown; rawBody?: string } = {},
  ): Promise<ClientResponse> {
    const authorization = init.authorization ?? (init.token ? `Bearer ${init.token}` : undefined);
    const body = init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
    const method = init.method ?? 'POST';
    const res = await fetch(`${get().apiUrl}/client${path}`, {
      method,
      headers: {
        origin: ORIGIN,
        ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
        ...(authorization ? { authorization } : {}),
      },
      ...(body === undefined ? {} : { body }),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };
}

const expectError = (res: ClientResponse, status: number, code: string) => {
  expect(res.status).toBe(status);
  // The browser SDK only treats a body as an error when it has the `error` key.
  expect(res.body).toMatchObject({ error: code, errorCode: code, errorDescription: expect.any(String) });
};

describe.each(databases)('Client API ($name)', (db) => {
  let t: TestServer;
  let m: ManagementClient;
  beforeAll(async () => {
    t = await startTestServer(db);
    m = management(t.apiUrl, t.tenant.managementSecretKey);
    await m.createConfig('stepUp', 'CHALLENGE');
  });
  afterAll(() => t.close());
  const client = clientOf(() => t);

  async function enrolledTrack(userId: string, attributes: { scope?: string } = {}) {
    const to = phone();
    await t.sdk.enrollVerifiedAuthenticator({ userId, attributes: { verificationMethod: SMS, phoneNumber: to } });
    const tracked = await t.sdk.track({ userId, action: 'stepUp', attributes });
    return { to, tracked };
  }

  it('answers the CORS preflight with 204, the origin echoed and credentials allowed', async () => {
    const res = await fetch(`${t.apiUrl}/client/challenge/sms`, {
      method: 'OPTIONS',
      headers: {
        origin: ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-allow-methods')).toMatch(/POST/);
    const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    expect(allowed).toContain('authorization');
    expect(allowed).toContain('content-type');
  });

  it('answers an OPTIONS that is no preflight (no Origin, or no requested method) with a Sigil error body', async () => {
    const incomplete: Record<string, string>[] = [{ 'access-control-request-method': 'POST' }, { origin: ORIGIN }, {}];
    for (const headers of incomplete) {
      const res = await fetch(`${t.apiUrl}/client/challenge/sms`, { method: 'OPTIONS', headers });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(await res.json()).toEqual({
        error: 'invalid_request',
        errorCode: 'invalid_request',
        errorDescription: expect.stringMatching(/Origin/),
      });
    }
  });

  it('puts the CORS headers on answers too, errors included, so the browser can read them', async () => {
    const res = await client('/challenge/sms', { token: 'garbage' });
    expect(res.status).toBe(401);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
  });

  it('runs the SMS flow with a Bearer token: challenge, wrong code, resend, newest code, validated accessToken', async () => {
    const { to, tracked } = await enrolledTrack('flow-user');
    expect(tracked.state).toBe('CHALLENGE_REQUIRED');

    // The browser sends no body at all, with content-type application/json.
    const started = await client('/challenge/sms', { token: tracked.token });
    expect(started.status).toBe(200);
    expect(started.body).toEqual({ challengeId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const first = await t.lastCode(to);

    const wrongCode = first === '000000' ? '111111' : '000000';
    const wrong = await client('/verify/sms', { token: tracked.token, body: { verificationCode: wrongCode } });
    expect(wrong.status).toBe(200);
    expect(wrong.body).toEqual({ isVerified: false, failureReason: 'CODE_INVALID_OR_EXPIRED' });

    const resent = await client('/challenge/sms', { token: tracked.token });
    expect(resent.status).toBe(200);
    expect(resent.body.challengeId).toBe(started.body.challengeId);
    const newest = await t.lastCode(to);
    if (newest !== first) {
      const stale = await client('/verify/sms', { token: tracked.token, body: { verificationCode: first } });
      expect(stale.body).toEqual({ isVerified: false, failureReason: 'CODE_INVALID_OR_EXPIRED' });
    }

    const verified = await client('/verify/sms', { token: tracked.token, body: { verificationCode: newest } });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ isVerified: true, accessToken: expect.stringMatching(/^ey/) });
    expect(verified.body.accessToken).not.toBe(tracked.token);

    expect(
      await t.sdk.validateChallenge({ token: verified.body.accessToken, action: 'stepUp', userId: 'flow-user' }),
    ).toMatchObject({ isValid: true, state: 'CHALLENGE_SUCCEEDED', verificationMethod: SMS });

    const again = await client('/verify/sms', { token: tracked.token, body: { verificationCode: newest } });
    expect(again.body).toEqual({ isVerified: false, failureReason: 'CODE_INVALID_OR_EXPIRED' });
  });

  it('takes sms.challenge as iOS and Android send it, and an optional smsChannel; undeclared fields are dropped', async () => {
    const { to, tracked } = await enrolledTrack('mobile-challenge-user');
    const url = `${t.apiUrl}/client/challenge/sms`;
    const authorization = `Bearer ${tracked.token}`;
    // iOS: no Content-Type and no body. Android: the platform labels the empty POST a form.
    const ios = await fetch(url, { method: 'POST', headers: { authorization } });
    const android = await fetch(url, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', 'content-length': '0' },
      body: '',
    });
    const documented = await client('/challenge/sms', {
      token: tracked.token,
      body: { smsChannel: 'DEFAULT', challengeId: randomUUID(), phoneNumber: phone() },
    });
    const bodies = [await ios.json(), await android.json(), documented.body];
    expect([ios.status, android.status, documented.status]).toEqual([200, 200, 200]);
    expect(bodies).toEqual(Array(3).fill({ challengeId: bodies[0].challengeId }));
    // The undeclared phoneNumber went nowhere: the code went to the enrolled number.
    const verified = await client('/verify/sms', {
      token: tracked.token,
      body: { verificationCode: await t.lastCode(to) },
    });
    expect(verified.body).toMatchObject({ isVerified: true });
    expectError(
      await client('/challenge/sms', { token: tracked.token, body: { smsChannel: 42 } }),
      400,
      'invalid_request',
    );
  });

  it('describes the action to the pre-built UI: masked number, no redirectUrl, no client origins by default', async () => {
    const { to, tracked } = await enrolledTrack('context-user');
    const res = await client('/hosted/context', { method: 'GET', token: tracked.token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      actionCode: 'stepUp',
      redirectUrl: null,
      isEnrolled: true,
      phoneNumberHint: expect.not.stringContaining(to.slice(3, -2)),
      clientOrigins: [],
    });
    const redirected = await t.sdk.track({
      userId: 'context-user',
      action: 'stepUp',
      attributes: { redirectUrl: 'https://shop.example/done?x=1' },
    });
    const context = await client('/hosted/context', { method: 'GET', token: redirected.token });
    expect(context.body.redirectUrl).toBe('https://shop.example/done?x=1');
  });

  it('treats an empty JSON body as {} and still validates the bodies that have fields', async () => {
    const { tracked } = await enrolledTrack('empty-body-user');
    expect((await client('/challenge/sms', { token: tracked.token, rawBody: '' })).status).toBe(200);
    expectError(await client('/verify/sms', { token: tracked.token, rawBody: '' }), 400, 'invalid_request');
    expectError(
      await client('/verify/sms', { token: tracked.token, body: { verificationCode: 123456 } }),
      400,
      'invalid_request',
    );
  });

  it('asks to call sms.challenge first when verify comes before any code was sent', async () => {
    const { tracked } = await enrolledTrack('verify-first-user');
    const res = await client('/verify/sms', { token: tracked.token, body: { verificationCode: '123456' } });
    expectError(res, 400, 'invalid_request');
    expect(res.body.errorDescription).toMatch(/challenge/);
  });

  it('answers 401 unauthorized to a garbage or tampered token, never expired_token', async () => {
    const { tracked } = await enrolledTrack('garbage-user');
    const [h, p, s] = tracked.token.split('.') as [string, string, string];
    const tampered = `${h}.${p.slice(0, -3)}${p.slice(-3) === 'AAA' ? 'BBB' : 'AAA'}.${s}`;
    for (const token of ['garbage', 'a.b.c', tampered]) {
      const res = await client('/challenge/sms', { token });
      expectError(res, 401, 'unauthorized');
    }
    expectError(await client('/user-authenticators', { method: 'GET', token: 'garbage' }), 401, 'unauthorized');
  });

  it('accepts both Basic forms of the tenant ID at the auth layer; the SMS routes then ask for a token', async () => {
    const { tenantId } = t.tenant;
    const web = `Basic ${Buffer.from(tenantId).toString('base64')}`;
    const ios = `Basic ${Buffer.from(`${tenantId}:`).toString('base64url')}`;
    for (const authorization of [web, ios]) {
      const res = await client('/challenge/sms', { authorization });
      expectError(res, 401, 'unauthorized');
      expect(res.body.errorDescription).toMatch(/needs a Bearer token/);
    }
    const unknown = `Basic ${Buffer.from(randomUUID()).toString('base64')}`;
    const none = [await client('/challenge/sms', { authorization: unknown }), await client('/challenge/sms')];
    for (const res of none) {
      expectError(res, 401, 'unauthorized');
      expect(res.body.errorDescription).not.toMatch(/needs a Bearer token/);
    }
  });

  it('refuses sms.challenge for a user without an SMS authenticator, telling to enroll', async () => {
    const tracked = await t.sdk.track({ userId: 'not-enrolled', action: 'stepUp' });
    const res = await client('/challenge/sms', { token: tracked.token });
    expectError(res, 400, 'invalid_request');
    expect(res.body.errorDescription).toMatch(/enroll/i);
  });

  it('enrolls the first authenticator with the track token; it exists only once its code is verified', async () => {
    const to = phone();
    const tracked = await t.sdk.track({ userId: 'first-enroll', action: 'enroll' });
    expect(tracked.isEnrolled).toBe(false);
    const enrolled = await client('/user-authenticators/sms', { token: tracked.token, body: { phoneNumber: to } });
    expect(enrolled.status).toBe(200);
    expect(enrolled.body).toEqual({
      userAuthenticatorId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      userId: 'first-enroll',
    });
    expect((await client('/user-authenticators', { method: 'GET', token: tracked.token })).body).toEqual([]);

    const verified = await client('/verify/sms', {
      token: tracked.token,
      body: { verificationCode: await t.lastCode(to) },
    });
    expect(verified.body).toMatchObject({
      isVerified: true,
      accessToken: expect.any(String),
      userAuthenticator: {
        userAuthenticatorId: enrolled.body.userAuthenticatorId,
        verificationMethod: SMS,
        phoneNumber: to,
      },
    });
    const listed = await client('/user-authenticators', { method: 'GET', token: tracked.token });
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual([expect.objectContaining({ userAuthenticatorId: enrolled.body.userAuthenticatorId })]);
    expect(await t.sdk.getAuthenticators({ userId: 'first-enroll' })).toEqual([
      expect.objectContaining({ userAuthenticatorId: enrolled.body.userAuthenticatorId, phoneNumber: to }),
    ]);
  });

  it('caps the challenges one tracked action can start, so a token cannot pump texts to many numbers', async () => {
    const tracked = await t.sdk.track({ userId: 'pumper', action: 'enroll' });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      statuses.push(
        (await client('/user-authenticators/sms', { token: tracked.token, body: { phoneNumber: phone() } })).status,
      );
    }
    // SIGIL_OTP_MAX_SENDS defaults to 5: five codes went out, then 429.
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const refused = await client('/user-authenticators/sms', { token: tracked.token, body: { phoneNumber: phone() } });
    expect(refused.body).toMatchObject({ error: 'too_many_requests' });
  });

  it('refuses a second authenticator with the default track token (403 forbidden)', async () => {
    const { tracked } = await enrolledTrack('second-refused');
    const res = await client('/user-authenticators/sms', { token: tracked.token, body: { phoneNumber: phone() } });
    expectError(res, 403, 'forbidden');
    expect(res.body.errorDescription).toMatch(/add:authenticators/);
    expect(await t.sdk.getAuthenticators({ userId: 'second-refused' })).toHaveLength(1);
  });

  it('lets scope add:authenticators from track past the binding check (one SMS authenticator per user)', async () => {
    const { to, tracked } = await enrolledTrack('second-scoped', { scope: 'add:authenticators' });
    const same = await client('/user-authenticators/sms', { token: tracked.token, body: { phoneNumber: to } });
    expect(same.status).toBe(200);
    expect(same.body.userId).toBe('second-scoped');
    // Another number would be a second SMS authenticator: that takes update:authenticators, not a 403.
    const other = await client('/user-authenticators/sms', { token: tracked.token, body: { phoneNumber: phone() } });
    expectError(other, 400, 'invalid_request');
    expect(other.body.errorDescription).toMatch(/update:authenticators/);
    expect(await t.sdk.getAuthenticators({ userId: 'second-scoped' })).toEqual([
      expect.objectContaining({ phoneNumber: to }),
    ]);
  });

  it('answers sms.enroll with the ID the authenticator has, when the number is enrolled again', async () => {
    const { to, tracked } = await enrolledTrack('enroll-id', { scope: 'add:authenticators' });
    const [before] = await t.sdk.getAuthenticators({ userId: 'enroll-id' });
    const enrolled = await client('/user-authenticators/sms', { token: tracked.token, body: { phoneNumber: to } });
    expect(enrolled.status).toBe(200);
    const done = await client('/verify/sms', {
      token: tracked.token,
      body: { verificationCode: await t.lastCode(to) },
    });
    expect(done.body.isVerified).toBe(true);
    expect(await t.sdk.getAuthenticators({ userId: 'enroll-id' })).toEqual([
      expect.objectContaining({ userAuthenticatorId: before?.userAuthenticatorId }),
    ]);
    expect(enrolled.body.userAuthenticatorId).toBe(before?.userAuthenticatorId);
  });

  it('lets the accessToken of a passed challenge change the SMS number (it may manage authenticators)', async () => {
    const { to, tracked } = await enrolledTrack('after-challenge');
    const [before] = await t.sdk.getAuthenticators({ userId: 'after-challenge' });
    await client('/challenge/sms', { token: tracked.token });
    const verified = await client('/verify/sms', {
      token: tracked.token,
      body: { verificationCode: await t.lastCode(to) },
    });
    const accessToken = verified.body.accessToken as string;
    const second = phone();
    const res = await client('/user-authenticators/sms', { token: accessToken, body: { phoneNumber: second } });
    expect(res.status).toBe(200);
    // The number changes on the existing authenticator: the ID that sms.enroll answers is that one.
    expect(res.body.userAuthenticatorId).toBe(before?.userAuthenticatorId);
    const done = await client('/verify/sms', {
      token: accessToken,
      body: { verificationCode: await t.lastCode(second) },
    });
    expect(done.body).toMatchObject({
      isVerified: true,
      userAuthenticator: { userAuthenticatorId: before?.userAuthenticatorId, phoneNumber: second },
    });
    expect(await t.sdk.getAuthenticators({ userId: 'after-challenge' })).toEqual([
      expect.objectContaining({ userAuthenticatorId: before?.userAuthenticatorId, phoneNumber: second }),
    ]);
  });

  it('refuses an invalid phone number at enroll with 400', async () => {
    const tracked = await t.sdk.track({ userId: 'bad-number', action: 'enroll' });
    expectError(
      await client('/user-authenticators/sms', { token: tracked.token, body: { phoneNumber: '12' } }),
      400,
      'invalid_request',
    );
  });
});

describe.each(databases)('Client API with SIGIL_CLIENT_ORIGINS ($name)', (db) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(db, {
      SIGIL_CLIENT_ORIGINS: `${ORIGIN}/, https://b.example:8443/app, ${ORIGIN}, *, not an origin`,
    });
  });
  afterAll(() => t.close());
  const client = clientOf(() => t);

  it('tells the pre-built UI the configured origins as exact origins, leaving out what is no origin', async () => {
    const tracked = await t.sdk.track({ userId: 'origins-user', action: 'stepUp' });
    const res = await client('/hosted/context', { method: 'GET', token: tracked.token });
    expect(res.status).toBe(200);
    expect(res.body.clientOrigins).toEqual([ORIGIN, 'https://b.example:8443']);
  });
});

describe.each(databases)('Client API with expired tokens ($name)', (db) => {
  let t: TestServer;
  const clock = new ManualClock(Date.now());
  beforeAll(async () => {
    t = await startTestServer(db, { SIGIL_TOKEN_TTL_SECONDS: '30' }, { clock });
  });
  afterAll(() => t.close());
  const client = clientOf(() => t);

  it('answers an expired token with 401 expired_token and the error key, so onTokenExpired fires', async () => {
    const to = phone();
    await t.sdk.enrollVerifiedAuthenticator({
      userId: 'late-user',
      attributes: { verificationMethod: SMS, phoneNumber: to },
    });
    const tracked = await t.sdk.track({ userId: 'late-user', action: 'stepUp' });
    expect((await client('/user-authenticators', { method: 'GET', token: tracked.token })).status).toBe(200);
    clock.advance(31_000);
    expectError(await client('/challenge/sms', { token: tracked.token }), 401, 'expired_token');
    expectError(
      await client('/verify/sms', { token: tracked.token, body: { verificationCode: '123456' } }),
      401,
      'expired_token',
    );
    expectError(await client('/user-authenticators', { method: 'GET', token: tracked.token }), 401, 'expired_token');
  });
});

import { createHmac } from 'node:crypto';
import { type Authsignal, VerificationMethod } from '@authsignal/node';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import { databases } from '../helpers/databases.js';
import { type ManagementClient, management } from '../helpers/management.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';

const SMS = VerificationMethod.SMS;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const MANAGE_SCOPES = ['read:authenticators', 'add:authenticators', 'update:authenticators', 'remove:authenticators'];

const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The token with one character of its payload changed. */
function tamper(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const i = Math.floor(payload.length / 2);
  const changed = `${payload.slice(0, i)}${payload[i] === 'A' ? 'B' : 'A'}${payload.slice(i + 1)}`;
  return `${header}.${changed}.${signature}`;
}

/** An unsigned token with the real payload: `alg: none`, with or without the tenant's kid. */
function unsigned(token: string, extraHeader: Record<string, string> = {}): string {
  const payload = token.split('.')[1];
  return `${b64url({ alg: 'none', typ: 'JWT', ...extraHeader })}.${payload}.`;
}

/** Shared steps: an enrolled user, an action configured to challenge, and the Client API's SMS flow. */
function flows(get: () => { t: TestServer; m: ManagementClient }) {
  const configured = new Set<string>();

  async function client(path: string, token: string, body?: unknown) {
    const { t } = get();
    const res = await fetch(`${t.apiUrl}/client${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: await res.json() };
  }

  async function trackEnrolled(
    userId: string,
    action: string,
    outcome: 'CHALLENGE' | 'BLOCK' | 'REVIEW' = 'CHALLENGE',
  ) {
    const { t, m } = get();
    if (!configured.has(action)) {
      await m.createConfig(action, outcome);
      configured.add(action);
    }
    const to = phone();
    await t.sdk.enrollVerifiedAuthenticator({ userId, attributes: { verificationMethod: SMS, phoneNumber: to } });
    const tracked = await t.sdk.track({ userId, action });
    return { to, tracked };
  }

  /** Tracks, sends the code and verifies it: the action is CHALLENGE_SUCCEEDED. */
  async function passChallenge(userId: string, action = 'stepUp') {
    const { t } = get();
    const { to, tracked } = await trackEnrolled(userId, action);
    expect(tracked.state).toBe('CHALLENGE_REQUIRED');
    const sent = await client('/challenge/sms', tracked.token);
    expect(sent.status).toBe(200);
    const verified = await client('/verify/sms', tracked.token, { verificationCode: await t.lastCode(to) });
    expect(verified.body.isVerified).toBe(true);
    return { tracked, accessToken: verified.body.accessToken as string };
  }

  return { client, trackEnrolled, passChallenge };
}

describe.each(databases)('validateChallenge and tokens ($name)', (db) => {
  let t: TestServer;
  let m: ManagementClient;
  let b: Authsignal;
  let bTenantId: string;
  beforeAll(async () => {
    t = await startTestServer(db);
    m = management(t.apiUrl, t.tenant.managementSecretKey);
    const other = await t.newTenant('B');
    b = other.sdk;
    bTenantId = other.tenant.tenantId;
  });
  afterAll(() => t.close());
  const { client, trackEnrolled, passChallenge } = flows(() => ({ t, m }));

  it('answers isValid:false with state CHALLENGE_REQUIRED while the challenge is not done', async () => {
    const { tracked } = await trackEnrolled('pending-user', 'stepUp');
    const result = await t.sdk.validateChallenge({ token: tracked.token, action: 'stepUp', userId: 'pending-user' });
    expect(result).toMatchObject({
      isValid: false,
      state: 'CHALLENGE_REQUIRED',
      userId: 'pending-user',
      action: 'stepUp',
      idempotencyKey: tracked.idempotencyKey,
    });
    expect(result.stateUpdatedAt).toMatch(ISO);
    expect(result.verificationMethod).toBeUndefined();
    // A code sent but not yet entered changes nothing.
    await client('/challenge/sms', tracked.token);
    expect(await t.sdk.validateChallenge({ token: tracked.token })).toMatchObject({
      isValid: false,
      state: 'CHALLENGE_REQUIRED',
    });
  });

  it('answers isValid:false for an allowed action: only a succeeded challenge is valid', async () => {
    const tracked = await t.sdk.track({ userId: 'allowed-user', action: 'neverConfigured' });
    expect(tracked.state).toBe('ALLOW');
    expect(await t.sdk.validateChallenge({ token: tracked.token })).toMatchObject({ isValid: false, state: 'ALLOW' });
  });

  it('validates a succeeded challenge once, then says it was already validated', async () => {
    const { tracked, accessToken } = await passChallenge('once-user');
    const first = await t.sdk.validateChallenge({ token: accessToken, action: 'stepUp', userId: 'once-user' });
    expect(first).toMatchObject({
      isValid: true,
      state: 'CHALLENGE_SUCCEEDED',
      userId: 'once-user',
      action: 'stepUp',
      idempotencyKey: tracked.idempotencyKey,
      verificationMethod: SMS,
    });
    expect(first.stateUpdatedAt).toMatch(ISO);
    expect(first.error).toBeUndefined();

    const second = await t.sdk.validateChallenge({ token: accessToken, action: 'stepUp', userId: 'once-user' });
    expect(second).toMatchObject({ isValid: false, state: 'CHALLENGE_SUCCEEDED' });
    expect(second.error).toMatch(/already been validated/);
    // The track token names the same action: it is not a second chance.
    const viaTrackToken = await t.sdk.validateChallenge({ token: tracked.token });
    expect(viaTrackToken.isValid).toBe(false);
    expect(viaTrackToken.error).toMatch(/already been validated/);
  });

  it('lets exactly one of 10 concurrent validations of a success win', async () => {
    const { accessToken } = await passChallenge('race-user');
    const results = await Promise.all(
      Array.from({ length: 10 }, () => t.sdk.validateChallenge({ token: accessToken })),
    );
    expect(results.filter((r) => r.isValid)).toHaveLength(1);
  });

  it('accepts the track token too once the challenge succeeded (once)', async () => {
    const { tracked } = await passChallenge('track-token-user');
    expect(await t.sdk.validateChallenge({ token: tracked.token, action: 'stepUp' })).toMatchObject({
      isValid: true,
      state: 'CHALLENGE_SUCCEEDED',
    });
  });

  describe('refuses with 200 isValid:false and an error, without using up the success', () => {
    let accessToken: string;
    beforeAll(async () => {
      ({ accessToken } = await passChallenge('refusal-user'));
    });

    it('a token for another action', async () => {
      const result = await t.sdk.validateChallenge({ token: accessToken, action: 'withdraw' });
      expect(result.isValid).toBe(false);
      expect(result.error).toMatch(/another action/);
    });

    it('a token for another user', async () => {
      const result = await t.sdk.validateChallenge({ token: accessToken, userId: 'mallory' });
      expect(result.isValid).toBe(false);
      expect(result.error).toMatch(/another user/);
    });

    it('a tampered token (one character of the payload changed)', async () => {
      const result = await t.sdk.validateChallenge({ token: tamper(accessToken) });
      expect(result.isValid).toBe(false);
      expect(result.error).toEqual(expect.any(String));
      expect(result.state).toBeUndefined();
    });

    it('a token with alg:none and no signature, with or without the tenant’s kid', async () => {
      const { kid } = decodeProtectedHeader(accessToken);
      for (const token of [unsigned(accessToken), unsigned(accessToken, { kid: kid ?? '' })]) {
        const result = await t.sdk.validateChallenge({ token });
        expect(result.isValid).toBe(false);
        expect(result.error).toEqual(expect.any(String));
        expect(result.state).toBeUndefined();
      }
    });

    it('a token signed HS256 with the API secret key (algorithm confusion)', async () => {
      const { kid } = decodeProtectedHeader(accessToken);
      const input = `${b64url({ alg: 'HS256', typ: 'JWT', kid })}.${accessToken.split('.')[1]}`;
      const signature = createHmac('sha256', t.tenant.apiSecretKey).update(input).digest('base64url');
      const result = await t.sdk.validateChallenge({ token: `${input}.${signature}` });
      expect(result.isValid).toBe(false);
      expect(result.state).toBeUndefined();
    });

    it('a token validated with another tenant’s key', async () => {
      const result = await b.validateChallenge({ token: accessToken });
      expect(result.isValid).toBe(false);
      expect(result.error).toEqual(expect.any(String));
      expect(result.state).toBeUndefined();
      expect(result.userId).toBeUndefined();
    });

    it('a string that is not a JWT', async () => {
      for (const token of ['not-a-jwt', 'a.b.c', 'eyJhbGciOiJFUzI1NiJ9.e30.']) {
        const result = await t.sdk.validateChallenge({ token });
        expect(result).toMatchObject({ isValid: false, error: expect.any(String) });
      }
    });

    it('and after all of those, the right request still validates', async () => {
      expect(
        await t.sdk.validateChallenge({ token: accessToken, action: 'stepUp', userId: 'refusal-user' }),
      ).toMatchObject({ isValid: true, state: 'CHALLENGE_SUCCEEDED' });
    });
  });

  it('never validates an action that rules blocked, even after an SMS challenge through the Client API', async () => {
    const { to, tracked } = await trackEnrolled('blocked-user', 'blockedAction', 'BLOCK');
    expect(tracked.state).toBe('BLOCK');
    const sent = await client('/challenge/sms', tracked.token);
    if (sent.status === 200) {
      await client('/verify/sms', tracked.token, { verificationCode: await t.lastCode(to) });
    }
    const result = await t.sdk.validateChallenge({ token: tracked.token, action: 'blockedAction' });
    expect(result.isValid).toBe(false);
    const action = await t.sdk.getAction({
      userId: 'blocked-user',
      action: 'blockedAction',
      idempotencyKey: tracked.idempotencyKey,
    });
    expect(action.state).toBe('BLOCK');
  });

  it('never validates an action awaiting review, even after an SMS challenge through the Client API', async () => {
    const { to, tracked } = await trackEnrolled('review-user', 'reviewAction', 'REVIEW');
    expect(tracked.state).toBe('REVIEW_REQUIRED');
    const sent = await client('/challenge/sms', tracked.token);
    if (sent.status === 200) {
      await client('/verify/sms', tracked.token, { verificationCode: await t.lastCode(to) });
    }
    expect((await t.sdk.validateChallenge({ token: tracked.token })).isValid).toBe(false);
    const action = await t.sdk.getAction({
      userId: 'review-user',
      action: 'reviewAction',
      idempotencyKey: tracked.idempotencyKey,
    });
    expect(action.state).toBe('REVIEW_REQUIRED');
  });

  describe('JWKS', () => {
    const jwksOf = async (tenantId: string) => {
      const res = await fetch(`${t.apiUrl}/client/public/${tenantId}/.well-known/jwks`);
      expect(res.status).toBe(200);
      return (await res.json()) as JSONWebKeySet;
    };

    it('publishes the tenant’s ES256 public keys without authentication, never a private part', async () => {
      const jwks = await jwksOf(t.tenant.tenantId);
      expect(jwks.keys.length).toBeGreaterThanOrEqual(1);
      for (const key of jwks.keys) {
        expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', kid: expect.any(String) });
        expect(key).not.toHaveProperty('d');
      }
      const other = await jwksOf(bTenantId);
      const kidsA = jwks.keys.map((k) => k.kid);
      for (const key of other.keys) expect(kidsA).not.toContain(key.kid);
    });

    it('verifies a Client API accessToken with jose, with the documented claims', async () => {
      const { tracked, accessToken } = await passChallenge('jwks-user');
      const { payload, protectedHeader } = await jwtVerify(
        accessToken,
        createLocalJWKSet(await jwksOf(t.tenant.tenantId)),
        { algorithms: ['ES256'] },
      );
      expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: expect.any(String) });
      expect(payload.sub).toBe('jwks-user');
      // The issuer is the API URL the server really has, learnt when it listened (PORT=0 here).
      expect(payload.iss).toBe(t.apiUrl);
      expect(typeof payload.iat).toBe('number');
      expect(Math.abs((payload.iat as number) - Date.now() / 1000)).toBeLessThan(60);
      expect(payload.exp).toBe((payload.iat as number) + 600);
      expect(String(payload.scope).split(' ').sort()).toEqual([...MANAGE_SCOPES].sort());
      expect(payload.other).toEqual({
        tenantId: t.tenant.tenantId,
        userId: 'jwks-user',
        actionCode: 'stepUp',
        idempotencyKey: tracked.idempotencyKey,
      });
      // The track token: same action, only the default scope.
      const trackClaims = decodeJwt(tracked.token);
      expect(trackClaims.scope).toBe('read:authenticators');
      expect(trackClaims.other).toEqual(payload.other);
    });

    it('does not verify a token with another tenant’s JWKS', async () => {
      const tracked = await t.sdk.track({ userId: 'jwks-other', action: 'signIn' });
      await expect(
        jwtVerify(tracked.token, createLocalJWKSet(await jwksOf(bTenantId)), { algorithms: ['ES256'] }),
      ).rejects.toThrow();
    });

    it('puts the scopes asked for in track into the token, next to read:authenticators', async () => {
      const tracked = await t.sdk.track({
        userId: 'scoped-user',
        action: 'settings',
        attributes: { scope: 'add:authenticators' },
      });
      const claims = decodeJwt(tracked.token);
      expect(String(claims.scope).split(' ').sort()).toEqual(['add:authenticators', 'read:authenticators']);
    });
  });
});

describe.each(databases)('expired tokens ($name)', (db) => {
  let t: TestServer;
  let m: ManagementClient;
  const clock = new ManualClock(Date.now());
  beforeAll(async () => {
    t = await startTestServer(db, { SIGIL_TOKEN_TTL_SECONDS: '30' }, { clock });
    m = management(t.apiUrl, t.tenant.managementSecretKey);
  });
  afterAll(() => t.close());
  const { passChallenge } = flows(() => ({ t, m }));

  it('refuses a token after its lifetime, even for a succeeded action', async () => {
    const { tracked, accessToken } = await passChallenge('expiring-user');
    const claims = decodeJwt(accessToken);
    expect((claims.exp as number) - (claims.iat as number)).toBe(30);
    clock.advance(31_000);
    for (const token of [accessToken, tracked.token]) {
      const result = await t.sdk.validateChallenge({ token });
      expect(result.isValid).toBe(false);
      expect(result.error).toMatch(/expired/i);
      expect(result.state).toBeUndefined();
    }
  });

  it('still accepts a token just inside its lifetime', async () => {
    const { accessToken } = await passChallenge('in-time-user');
    clock.advance(29_000);
    expect(await t.sdk.validateChallenge({ token: accessToken })).toMatchObject({ isValid: true });
  });
});

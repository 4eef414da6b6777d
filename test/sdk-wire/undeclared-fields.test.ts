import { randomUUID } from 'node:crypto';
import { VerificationMethod } from '@authsignal/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases } from '../helpers/databases.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';
import { basicKey, expectOk, Wire, withLength } from './replay.js';

/**
 * Newer SDKs add request fields, and callers pass whatever they like: a field a route does not declare
 * must never reach its handler. The case that once did: `authenticatorId` on `POST /v1/challenge`,
 * the internal field that names the authenticator an enrollment creates. With another user's
 * authenticator ID, the verify that followed answered 500.
 */
describe.each(databases)('undeclared request fields have no effect ($name)', (db) => {
  let t: TestServer;
  let wire: Wire;
  beforeAll(async () => {
    t = await startTestServer(db);
    wire = new Wire(t.server.url);
  });
  afterAll(async () => {
    wire.close();
    await t.close();
  });

  const post = (path: string, value: unknown) => {
    const body = JSON.stringify(value);
    return wire.send({
      method: 'POST',
      path: `/v1${path}`,
      headers: withLength(
        [
          ['Authorization', basicKey(t.tenant.apiSecretKey)],
          ['Content-Type', 'application/json'],
        ],
        body,
      ),
      body,
    });
  };

  async function challengeAndVerify(body: Record<string, unknown>, to: string) {
    const started = await post('/challenge', body);
    expectOk(started);
    const verified = await post('/verify', {
      challengeId: started.json.challengeId,
      verificationCode: await t.lastCode(to),
    });
    expectOk(verified);
    expect(verified.json, verified.transcript).toMatchObject({ isVerified: true, phoneNumber: to });
    return started.json.challengeId as string;
  }

  it("authenticatorId naming another user's authenticator: verify answers 200 and enrolls only the caller's own", async () => {
    const victim = `victim-${randomUUID()}`;
    const victimPhone = phone();
    const { authenticator } = await t.sdk.enrollVerifiedAuthenticator({
      userId: victim,
      attributes: { verificationMethod: VerificationMethod.SMS, phoneNumber: victimPhone },
    });
    const victimAuthenticatorId = authenticator.userAuthenticatorId;

    const caller = `caller-${randomUUID()}`;
    const callerPhone = phone();
    await challengeAndVerify(
      {
        verificationMethod: 'SMS',
        action: 'addPhone',
        userId: caller,
        phoneNumber: callerPhone,
        scope: 'add:authenticators',
        authenticatorId: victimAuthenticatorId,
      },
      callerPhone,
    );

    expect(await t.sdk.getAuthenticators({ userId: victim })).toMatchObject([
      { userAuthenticatorId: victimAuthenticatorId, phoneNumber: victimPhone },
    ]);
    const own = await t.sdk.getAuthenticators({ userId: caller });
    expect(own).toMatchObject([{ verificationMethod: 'SMS', phoneNumber: callerPhone }]);
    expect(own[0]?.userAuthenticatorId).not.toBe(victimAuthenticatorId);
  });

  it('authenticatorId on a number change: the authenticator keeps its own ID', async () => {
    const userId = `changer-${randomUUID()}`;
    const { authenticator } = await t.sdk.enrollVerifiedAuthenticator({
      userId,
      attributes: { verificationMethod: VerificationMethod.SMS, phoneNumber: phone() },
    });
    const next = phone();
    await challengeAndVerify(
      {
        verificationMethod: 'SMS',
        action: 'changePhone',
        userId,
        phoneNumber: next,
        scope: 'update:authenticators',
        authenticatorId: randomUUID(),
      },
      next,
    );
    expect(await t.sdk.getAuthenticators({ userId })).toMatchObject([
      { userAuthenticatorId: authenticator.userAuthenticatorId, phoneNumber: next },
    ]);
  });

  it('fields of newer SDKs on challenge, verify, claim and validate are ignored, and the flow completes', async () => {
    const to = phone();
    const userId = `newer-${randomUUID()}`;
    const challengeId = await challengeAndVerify(
      {
        verificationMethod: 'SMS',
        action: 'signIn',
        phoneNumber: to,
        deviceId: 'device-1',
        ipAddress: '127.0.0.1',
        custom: { plan: 'gold' },
        someFutureField: { nested: [1, 2, 3] },
      },
      to,
    );
    const claimed = await post('/claim', { challengeId, userId, someFutureField: true, tenantId: randomUUID() });
    expectOk(claimed);
    const validated = await post('/validate', { token: claimed.json.token, action: 'signIn', tenantId: randomUUID() });
    expectOk(validated);
    expect(validated.json, validated.transcript).toMatchObject({ isValid: true, userId, actionCode: 'signIn' });
  });
});

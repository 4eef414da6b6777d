import { type Authsignal, VerificationMethod } from '@authsignal/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases } from '../helpers/databases.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';

const SMS = VerificationMethod.SMS;

/** Tenant B's key can neither see nor change anything of tenant A's. */
describe.each(databases)('tenant isolation ($name)', (db) => {
  let t: TestServer;
  let b: Authsignal;
  let challengeId: string;
  let code: string;
  let token: string;
  const to = phone();

  beforeAll(async () => {
    t = await startTestServer(db);
    b = (await t.newTenant('B')).sdk;
    await t.sdk.enrollVerifiedAuthenticator({
      userId: 'alice',
      attributes: { verificationMethod: SMS, phoneNumber: to },
    });
    await t.sdk.updateUser({ userId: 'alice', attributes: { email: 'alice@a.example' } });
    const signIn = await t.sdk.challenge({ verificationMethod: SMS, action: 'signIn', phoneNumber: to });
    const first = await t.lastCode(to);
    await t.sdk.verify({ challengeId: signIn.challengeId, verificationCode: first });
    token = (await t.sdk.claimChallenge({ challengeId: signIn.challengeId, userId: 'alice' })).token;
    challengeId = (await t.sdk.challenge({ verificationMethod: SMS, action: 'signIn', phoneNumber: to })).challengeId;
    code = await t.lastCode(to);
  });
  afterAll(() => t.close());

  it('does not show A users, authenticators or queries to B', async () => {
    expect(await b.getUser({ userId: 'alice' })).toMatchObject({ isEnrolled: false });
    expect((await b.getUser({ userId: 'alice' })).email).toBeUndefined();
    expect(await b.getAuthenticators({ userId: 'alice' })).toEqual([]);
    expect((await b.queryUsers({ email: 'alice@a.example' })).users).toEqual([]);
  });

  it("does not let B read, verify, resend or claim A's challenge", async () => {
    await expect(b.getChallenge({ challengeId })).rejects.toMatchObject({ statusCode: 404 });
    await expect(b.verify({ challengeId, verificationCode: code })).rejects.toMatchObject({ statusCode: 404 });
    await expect(b.challenge({ challengeId })).rejects.toMatchObject({ statusCode: 404 });
    await expect(
      b.claimChallenge({ challengeId, userId: 'mallory', skipVerificationCheck: true }),
    ).rejects.toMatchObject({
      statusCode: 404,
    });
    // B's attempts cost A nothing, and A can still verify.
    expect((await t.sdk.verify({ challengeId, verificationCode: code })).isVerified).toBe(true);
  });

  it("refuses A's token when B validates it", async () => {
    expect((await t.sdk.validateChallenge({ token })).isValid).toBe(true);
    const result = await b.validateChallenge({ token });
    expect(result.isValid).toBe(false);
    expect(result.state).toBeUndefined();
  });

  it("does not let B change or delete A's users and authenticators", async () => {
    const [authenticator] = await t.sdk.getAuthenticators({ userId: 'alice' });
    await expect(
      b.deleteAuthenticator({ userId: 'alice', userAuthenticatorId: authenticator?.userAuthenticatorId ?? '' }),
    ).rejects.toMatchObject({ statusCode: 404 });
    await b.deleteUser({ userId: 'alice' });
    await b.updateUser({ userId: 'alice', attributes: { email: 'mallory@b.example' } });
    expect(await t.sdk.getUser({ userId: 'alice' })).toMatchObject({ isEnrolled: true, email: 'alice@a.example' });
    expect(await t.sdk.getAuthenticators({ userId: 'alice' })).toHaveLength(1);
  });
});

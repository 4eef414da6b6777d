import { AuthScope, VerificationMethod } from '@authsignal/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases } from '../helpers/databases.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';

const SMS = VerificationMethod.SMS;
const ADD = AuthScope.addAuthenticators;
// The SDK's AuthScope enum has no update scope, though its docs and the API use it.
const UPDATE = 'update:authenticators' as AuthScope;

describe.each(databases)('enrollment, phone-number updates and users ($name)', (db) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(db);
  });
  afterAll(() => t.close());

  async function passChallenge(req: { userId?: string; scope?: AuthScope; phoneNumber: string; action?: string }) {
    const { challengeId } = await t.sdk.challenge({
      verificationMethod: SMS,
      action: req.action ?? 'enrollSms',
      ...req,
    });
    const verified = await t.sdk.verify({ challengeId, verificationCode: await t.lastCode(req.phoneNumber) });
    expect(verified.isVerified).toBe(true);
    return challengeId;
  }

  it('enrolls a verified SMS authenticator with scope add:authenticators', async () => {
    const to = phone();
    await passChallenge({ userId: 'enroll-1', scope: ADD, phoneNumber: to });
    const authenticators = await t.sdk.getAuthenticators({ userId: 'enroll-1' });
    expect(authenticators).toHaveLength(1);
    expect(authenticators[0]).toMatchObject({ userId: 'enroll-1', verificationMethod: SMS, phoneNumber: to });
    const user = await t.sdk.getUser({ userId: 'enroll-1' });
    expect(user).toMatchObject({
      isEnrolled: true,
      enrolledVerificationMethods: ['SMS'],
      phoneNumber: to,
      phoneNumberVerified: true,
    });
  });

  it('replaces the number of the existing authenticator with scope update:authenticators', async () => {
    const first = phone();
    const second = phone();
    await passChallenge({ userId: 'update-1', scope: ADD, phoneNumber: first });
    const [before] = await t.sdk.getAuthenticators({ userId: 'update-1' });
    await passChallenge({ userId: 'update-1', scope: UPDATE, phoneNumber: second, action: 'updatePhoneNumber' });
    const after = await t.sdk.getAuthenticators({ userId: 'update-1' });
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ userAuthenticatorId: before?.userAuthenticatorId, phoneNumber: second });
  });

  it('does not change authenticators when the challenge has no scope', async () => {
    const to = phone();
    await passChallenge({ userId: 'noscope-1', phoneNumber: to, action: 'signIn' });
    expect(await t.sdk.getAuthenticators({ userId: 'noscope-1' })).toEqual([]);
    expect((await t.sdk.getUser({ userId: 'noscope-1' })).isEnrolled).toBe(false);
  });

  it('does not change authenticators before the code is verified', async () => {
    const to = phone();
    await t.sdk.challenge({
      verificationMethod: SMS,
      action: 'enrollSms',
      userId: 'pending-1',
      scope: ADD,
      phoneNumber: to,
    });
    expect(await t.sdk.getAuthenticators({ userId: 'pending-1' })).toEqual([]);
  });

  it('refuses add:authenticators for another number when one is enrolled, and update without one', async () => {
    await passChallenge({ userId: 'bind-1', scope: ADD, phoneNumber: phone() });
    const add = await t.sdk
      .challenge({ verificationMethod: SMS, action: 'enrollSms', userId: 'bind-1', scope: ADD, phoneNumber: phone() })
      .catch((e) => e);
    expect(add).toMatchObject({ statusCode: 400, errorCode: 'invalid_request' });
    expect(add.errorDescription).toMatch(/update:authenticators/);
    const update = await t.sdk
      .challenge({ verificationMethod: SMS, action: 'x', userId: 'nobody-1', scope: UPDATE, phoneNumber: phone() })
      .catch((e) => e);
    expect(update).toMatchObject({ statusCode: 400 });
    expect(update.errorDescription).toMatch(/no SMS authenticator/);
    const noUser = await t.sdk
      .challenge({ verificationMethod: SMS, action: 'x', scope: ADD, phoneNumber: phone() })
      .catch((e) => e);
    expect(noUser).toMatchObject({ statusCode: 400 });
    expect(noUser.errorDescription).toMatch(/userId is required/);
  });

  it('enrolls and updates a pre-verified number with enrollVerifiedAuthenticator', async () => {
    const first = phone();
    const created = await t.sdk.enrollVerifiedAuthenticator({
      userId: 'pre-1',
      attributes: { verificationMethod: SMS, phoneNumber: first },
    });
    expect(created.authenticator).toMatchObject({ userId: 'pre-1', verificationMethod: SMS, phoneNumber: first });
    const second = phone();
    await t.sdk.enrollVerifiedAuthenticator({
      userId: 'pre-1',
      attributes: { verificationMethod: SMS, phoneNumber: second },
    });
    const list = await t.sdk.getAuthenticators({ userId: 'pre-1' });
    expect(list.map((a) => a.phoneNumber)).toEqual([second]);
  });

  it('normalises numbers to E.164 and refuses invalid ones with a reason', async () => {
    const created = await t.sdk.enrollVerifiedAuthenticator({
      userId: 'pre-2',
      attributes: { verificationMethod: SMS, phoneNumber: '+64 21 555 0101' },
    });
    expect(created.authenticator.phoneNumber).toBe('+64215550101');
    const bad = await t.sdk
      .enrollVerifiedAuthenticator({ userId: 'pre-2', attributes: { verificationMethod: SMS, phoneNumber: '12345' } })
      .catch((e) => e);
    expect(bad).toMatchObject({ statusCode: 400, errorCode: 'invalid_request' });
    expect(bad.errorDescription).toMatch(/phoneNumber is not a valid phone number/);
  });

  it('deletes an authenticator, and 404s an unknown one', async () => {
    await t.sdk.enrollVerifiedAuthenticator({
      userId: 'del-1',
      attributes: { verificationMethod: SMS, phoneNumber: phone() },
    });
    const [a] = await t.sdk.getAuthenticators({ userId: 'del-1' });
    await t.sdk.deleteAuthenticator({ userId: 'del-1', userAuthenticatorId: a?.userAuthenticatorId ?? '' });
    expect(await t.sdk.getAuthenticators({ userId: 'del-1' })).toEqual([]);
    const again = await t.sdk
      .deleteAuthenticator({ userId: 'del-1', userAuthenticatorId: a?.userAuthenticatorId ?? '' })
      .catch((e) => e);
    expect(again).toMatchObject({ statusCode: 404, errorCode: 'not_found' });
  });

  it('answers getUser for an unknown user with 200 isEnrolled:false', async () => {
    const user = await t.sdk.getUser({ userId: 'never-seen' });
    expect(user.isEnrolled).toBe(false);
    expect(user.email).toBeUndefined();
  });

  it('updates users with PATCH (node) and POST (Ruby), leaving other fields unchanged', async () => {
    const patched = await t.sdk.updateUser({
      userId: 'upd-1',
      attributes: {
        email: 'a@example.com',
        emailVerified: true,
        displayName: 'A',
        custom: { tier: 'gold', n: 3, ok: true },
      },
    });
    expect(patched).toMatchObject({
      email: 'a@example.com',
      emailVerified: true,
      displayName: 'A',
      custom: { tier: 'gold', n: 3, ok: true },
    });
    const posted = await t.fetch('/users/upd-1', { method: 'POST', body: JSON.stringify({ username: 'alice' }) });
    expect(posted.status).toBe(200);
    expect(await posted.json()).toMatchObject({ username: 'alice', email: 'a@example.com', displayName: 'A' });
    expect(await t.sdk.getUser({ userId: 'upd-1' })).toMatchObject({ username: 'alice', email: 'a@example.com' });
  });

  it('deletes a user with their authenticators', async () => {
    await t.sdk.enrollVerifiedAuthenticator({
      userId: 'gone-1',
      attributes: { verificationMethod: SMS, phoneNumber: phone() },
    });
    await t.sdk.updateUser({ userId: 'gone-1', attributes: { email: 'gone@example.com' } });
    await t.sdk.deleteUser({ userId: 'gone-1' });
    const user = await t.sdk.getUser({ userId: 'gone-1' });
    expect(user.isEnrolled).toBe(false);
    expect(user.email).toBeUndefined();
    expect(await t.sdk.getAuthenticators({ userId: 'gone-1' })).toEqual([]);
  });

  it('queries users by email and phone number, with pagination', async () => {
    const to = phone();
    await t.sdk.updateUser({ userId: 'q-1', attributes: { email: 'q@example.com', phoneNumber: to } });
    await t.sdk.updateUser({ userId: 'q-2', attributes: { email: 'q@example.com' } });
    const byEmail = await t.sdk.queryUsers({ email: 'q@example.com' });
    expect(byEmail.users.map((u) => u.userId)).toEqual(['q-1', 'q-2']);
    const byPhone = await t.sdk.queryUsers({ phoneNumber: to });
    expect(byPhone.users.map((u) => u.userId)).toEqual(['q-1']);
    const page1 = await t.sdk.queryUsers({ email: 'q@example.com', limit: 1 });
    expect(page1.users.map((u) => u.userId)).toEqual(['q-1']);
    expect(page1.lastEvaluatedUserId).toBe('q-1');
    const page2 = await t.sdk.queryUsers({ email: 'q@example.com', limit: 1, lastEvaluatedUserId: 'q-1' });
    expect(page2.users.map((u) => u.userId)).toEqual(['q-2']);
  });
});

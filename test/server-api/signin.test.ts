import { AuthsignalError } from '@authsignal/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import { databases } from '../helpers/databases.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';

describe.each(databases)('SMS sign-in with the official node SDK ($name)', (db) => {
  let t: TestServer;
  const clock = new ManualClock(Date.now());
  beforeAll(async () => {
    t = await startTestServer(db, {}, { clock });
  });
  afterAll(() => t.close());

  it('signs in: challenge, verify, claim, then validateChallenge accepts the token', async () => {
    const to = phone();
    const started = await t.sdk.challenge({ verificationMethod: 'SMS', action: 'signInWithSms', phoneNumber: to });
    expect(started.challengeId).toMatch(/^[0-9a-f-]{36}$/);
    expect(started.expiresAt).toBe(Math.floor(clock.now() / 1000) + 600);

    const verified = await t.sdk.verify({ challengeId: started.challengeId, verificationCode: await t.lastCode(to) });
    expect(verified).toEqual({ isVerified: true, phoneNumber: to, verificationMethod: 'SMS' });

    const claimed = await t.sdk.claimChallenge({ challengeId: started.challengeId, userId: 'user-1' });
    expect(claimed.token).toMatch(/^ey/);
    expect(claimed.verificationMethod).toBe('SMS');

    const validated = await t.sdk.validateChallenge({ action: 'signInWithSms', token: claimed.token });
    expect(validated).toMatchObject({
      isValid: true,
      state: 'CHALLENGE_SUCCEEDED',
      userId: 'user-1',
      action: 'signInWithSms',
      idempotencyKey: started.idempotencyKey,
      verificationMethod: 'SMS',
    });
  });

  it('describes a challenge with getChallenge', async () => {
    const to = phone();
    const { challengeId } = await t.sdk.challenge({
      verificationMethod: 'SMS',
      action: 'signInWithSms',
      phoneNumber: to,
    });
    const got = await t.sdk.getChallenge({ challengeId });
    expect(got).toMatchObject({ challengeId, verificationMethod: 'SMS', phoneNumber: to, action: 'signInWithSms' });
  });

  it('answers a wrong code with 200 isVerified:false and CODE_INVALID_OR_EXPIRED', async () => {
    const to = phone();
    const { challengeId } = await t.sdk.challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: to });
    const wrong = (Number(await t.lastCode(to)) + 1) % 1_000_000;
    const result = await t.sdk.verify({ challengeId, verificationCode: String(wrong).padStart(6, '0') });
    expect(result).toEqual({ isVerified: false, failureReason: 'CODE_INVALID_OR_EXPIRED' });
  });

  it('rejects even the right code after 5 wrong ones, with MAX_ATTEMPTS_EXCEEDED', async () => {
    const to = phone();
    const { challengeId } = await t.sdk.challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: to });
    const code = await t.lastCode(to);
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) {
      expect(await t.sdk.verify({ challengeId, verificationCode: wrong })).toMatchObject({
        failureReason: 'CODE_INVALID_OR_EXPIRED',
      });
    }
    expect(await t.sdk.verify({ challengeId, verificationCode: code })).toEqual({
      isVerified: false,
      failureReason: 'MAX_ATTEMPTS_EXCEEDED',
    });
  });

  it('never verifies a challenge twice', async () => {
    const to = phone();
    const { challengeId } = await t.sdk.challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: to });
    const code = await t.lastCode(to);
    expect((await t.sdk.verify({ challengeId, verificationCode: code })).isVerified).toBe(true);
    expect(await t.sdk.verify({ challengeId, verificationCode: code })).toEqual({
      isVerified: false,
      failureReason: 'CODE_INVALID_OR_EXPIRED',
    });
  });

  it('expires codes after 10 minutes', async () => {
    const to = phone();
    const { challengeId } = await t.sdk.challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: to });
    const code = await t.lastCode(to);
    clock.advance(600_000);
    expect(await t.sdk.verify({ challengeId, verificationCode: code })).toEqual({
      isVerified: false,
      failureReason: 'CODE_INVALID_OR_EXPIRED',
    });
  });

  it('claims a challenge once, and only after verification', async () => {
    const to = phone();
    const { challengeId } = await t.sdk.challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: to });
    const unverified = await t.sdk.claimChallenge({ challengeId, userId: 'u-claim' }).catch((e) => e);
    expect(unverified).toBeInstanceOf(AuthsignalError);
    expect(unverified).toMatchObject({ statusCode: 400, errorCode: 'invalid_request' });

    await t.sdk.verify({ challengeId, verificationCode: await t.lastCode(to) });
    await t.sdk.claimChallenge({ challengeId, userId: 'u-claim' });
    const again = await t.sdk.claimChallenge({ challengeId, userId: 'u-claim' }).catch((e) => e);
    expect(again).toMatchObject({ statusCode: 400, errorDescription: 'This challenge has already been claimed' });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import { cryptoRandom, type Random } from '../../src/lib/random.js';
import { databases } from '../helpers/databases.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';

/** Codes come from a queue, so the test knows every code before it is sent. */
function queuedCodes(): Random & { next: string[] } {
  const next: string[] = [];
  return { ...cryptoRandom, next, digits: (n) => next.shift() ?? cryptoRandom.digits(n) };
}

describe.each(databases)('resending a code with challenge({challengeId}) ($name)', (db) => {
  let t: TestServer;
  const clock = new ManualClock(Date.now());
  const random = queuedCodes();
  beforeAll(async () => {
    t = await startTestServer(
      db,
      { SIGIL_OTP_RESEND_COOLDOWN_SECONDS: '30', SIGIL_OTP_MAX_SENDS: '3' },
      { clock, random },
    );
  });
  afterAll(() => t.close());

  it('sends a new code, retires the old one, and keeps the attempt budget', async () => {
    const to = phone();
    random.next.push('111111');
    const first = await t.sdk.challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: to });
    for (let i = 0; i < 3; i++) await t.sdk.verify({ challengeId: first.challengeId, verificationCode: '999999' });

    clock.advance(30_000);
    random.next.push('222222');
    const resent = await t.sdk.challenge({ challengeId: first.challengeId });
    expect(resent).toMatchObject({ challengeId: first.challengeId, idempotencyKey: first.idempotencyKey });
    expect(await t.lastCode(to)).toBe('222222');

    // Attempt 4: the old code no longer works. Attempt 5: the new one does: the budget was not reset to 5 more.
    expect(await t.sdk.verify({ challengeId: first.challengeId, verificationCode: '111111' })).toMatchObject({
      isVerified: false,
      failureReason: 'CODE_INVALID_OR_EXPIRED',
    });
    expect((await t.sdk.verify({ challengeId: first.challengeId, verificationCode: '222222' })).isVerified).toBe(true);
  });

  it('refuses a resend within the cooldown, and past the maximum number of sends, with 429', async () => {
    const to = phone();
    const { challengeId } = await t.sdk.challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: to });
    const early = await t.sdk.challenge({ challengeId }).catch((e) => e);
    expect(early).toMatchObject({ statusCode: 429, errorCode: 'too_many_requests' });
    expect(early.errorDescription).toMatch(/Wait \d+ seconds/);

    clock.advance(30_000);
    await t.sdk.challenge({ challengeId });
    clock.advance(30_000);
    await t.sdk.challenge({ challengeId });
    clock.advance(30_000);
    const over = await t.sdk.challenge({ challengeId }).catch((e) => e);
    expect(over).toMatchObject({ statusCode: 429 });
    expect(over.errorDescription).toMatch(/at most 3 times/);
  });

  it('gives a resent code a fresh lifetime, never beyond 10 minutes from the resend', async () => {
    const to = phone();
    const { challengeId } = await t.sdk.challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: to });
    clock.advance(590_000);
    const resent = await t.sdk.challenge({ challengeId });
    expect(resent.expiresAt).toBe(Math.floor(clock.now() / 1000) + 600);
    const code = await t.lastCode(to);
    clock.advance(600_000);
    expect(await t.sdk.verify({ challengeId, verificationCode: code })).toMatchObject({
      failureReason: 'CODE_INVALID_OR_EXPIRED',
    });
  });

  it('refuses to resend a verified challenge', async () => {
    const to = phone();
    const { challengeId } = await t.sdk.challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: to });
    await t.sdk.verify({ challengeId, verificationCode: await t.lastCode(to) });
    clock.advance(30_000);
    await expect(t.sdk.challenge({ challengeId })).rejects.toMatchObject({ statusCode: 400 });
  });
});

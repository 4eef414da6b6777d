import { VerificationMethod } from '@authsignal/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import { databases } from '../helpers/databases.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';

const SMS = VerificationMethod.SMS;

/** SMS pumping defence: one number receives a bounded number of codes per hour, whatever asks for them. */
describe.each(databases)('codes per number per hour ($name)', (db) => {
  let t: TestServer;
  const clock = new ManualClock(Date.now());
  beforeAll(async () => {
    t = await startTestServer(db, { SIGIL_SMS_MAX_PER_NUMBER_PER_HOUR: '3' }, { clock });
  });
  afterAll(() => t.close());

  const start = (phoneNumber: string) => t.sdk.challenge({ verificationMethod: SMS, action: 'signIn', phoneNumber });

  it('refuses the fourth code to one number within the hour with 429, and sends again an hour later', async () => {
    const to = phone();
    for (let i = 0; i < 3; i++) await start(to);
    const refused = await start(to).catch((e) => e);
    expect(refused).toMatchObject({ statusCode: 429, errorCode: 'too_many_requests' });
    expect(refused.errorDescription).toMatch(/This number has reached its limit of 3 codes in 60 minutes/);
    expect((await start(phone())).challengeId).toBeTruthy(); // another number is not affected
    clock.advance(3_600_001);
    expect((await start(to)).challengeId).toBeTruthy();
  });

  it('counts resends against the same budget', async () => {
    const to = phone();
    const { challengeId } = await start(to);
    await t.sdk.challenge({ challengeId });
    await t.sdk.challenge({ challengeId });
    await expect(t.sdk.challenge({ challengeId })).rejects.toMatchObject({ statusCode: 429 });
    await expect(start(to)).rejects.toMatchObject({ statusCode: 429 });
  });

  it('keeps tenants apart: another tenant may still text the number', async () => {
    const to = phone();
    for (let i = 0; i < 3; i++) await start(to);
    const other = await t.newTenant('other');
    expect(
      (await other.sdk.challenge({ verificationMethod: SMS, action: 'signIn', phoneNumber: to })).challengeId,
    ).toBeTruthy();
  });
});

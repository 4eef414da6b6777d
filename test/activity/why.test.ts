import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import { MAGIC } from '../fakes/common.js';
import { startTwilioFake } from '../fakes/twilio.js';
import { databases } from '../helpers/databases.js';
import { type ManagementClient, management } from '../helpers/management.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';
import { twilioCreate } from '../management-api/management-calls.js';

interface Event {
  kind: string;
  summary: string;
  [name: string]: unknown;
}
interface Detail {
  challenge: { challengeId: string; attempts: number; failedReason: string | null };
  why: { code: string; sentence: string };
  timeline: Event[];
}

const codeIn = (text: string) => /\b(\d{6})\b/.exec(text)?.[1] as string;

/** Every branch of "why didn't the code arrive?", driven through the Server API and the Twilio fake. */
describe.each(databases)('the why sentence ($name)', (db) => {
  let t: TestServer;
  let api: ManagementClient;
  let fake: Awaited<ReturnType<typeof startTwilioFake>>;
  let receiptUrl: string;
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));

  beforeAll(async () => {
    fake = await startTwilioFake();
    t = await startTestServer(db, {}, { clock });
    api = management(t.apiUrl, t.tenant.managementSecretKey, '');
    const res = await api.request<{ providers: { receiptUrl: string }[] }>('PUT', '/sms-providers', {
      providers: [fake.config()],
    });
    expect(res.status).toBe(200);
    receiptUrl = res.body.providers[0]?.receiptUrl as string;
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const detail = async (challengeId: string, client = api) => {
    const res = await client.request<Detail>('GET', `/challenges/${challengeId}`);
    expect(res.status).toBe(200);
    return res.body;
  };
  const challenge = (to: string) => t.sdk.challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: to });
  const sentTo = (to: string) => fake.messages.filter((m) => m.to === to).at(-1);
  const challengeIdOf = async (to: string) =>
    (
      await t.server.deps.db
        .selectFrom('challenges')
        .select('id')
        .where('phone_number', '=', to)
        .orderBy('created_at', 'desc')
        .executeTakeFirstOrThrow()
    ).id;

  it('verified: the code was entered correctly', async () => {
    const to = phone();
    const { challengeId } = await challenge(to);
    await t.sdk.verify({ challengeId, verificationCode: codeIn(sentTo(to)?.text ?? '') });
    const d = await detail(challengeId);
    expect(d.why.code).toBe('verified');
    expect(d.why.sentence).toMatch(/^The code was entered correctly at 2026-06-01T12:/);
    expect(d.timeline.map((e) => e.kind)).toEqual(['code_sent', 'verified']);
  });

  it('refused_by_vendor: the vendor refused the number, in words', async () => {
    const err = await challenge(MAGIC.invalidNumber).catch((e) => e);
    expect(err).toMatchObject({ statusCode: 400 });
    const d = await detail(await challengeIdOf(MAGIC.invalidNumber));
    expect(d.why).toEqual({
      code: 'refused_by_vendor',
      sentence: 'The code was not sent: twilio refused the number as not valid.',
    });
    expect(d.timeline[0]).toMatchObject({ kind: 'code_sent', provider: 'twilio', vendorError: 'invalid_number' });
  });

  it('failed_by_carrier: the receipt said undelivered, with its error', async () => {
    const { challengeId } = await challenge(MAGIC.failsByReceipt);
    expect((await detail(challengeId)).why.code).toBe('sent_not_entered');
    expect(await fake.postReceipt(receiptUrl, sentTo(MAGIC.failsByReceipt)?.id as string, 'failed')).toBe(200);
    const d = await detail(challengeId);
    expect(d.why).toEqual({
      code: 'failed_by_carrier',
      sentence: 'twilio accepted the code but the carrier did not deliver it (status undelivered, error 30003).',
    });
    expect(d.timeline[0]?.receipts).toMatchObject([
      { status: 'failed', vendorStatus: 'undelivered', errorCode: '30003' },
    ]);
  });

  it('sent_not_entered, then delivered_not_entered once the receipt comes, then expired', async () => {
    const to = phone();
    const { challengeId } = await challenge(to);
    const sent = await detail(challengeId);
    expect(sent.why).toEqual({
      code: 'sent_not_entered',
      sentence: 'twilio accepted the code; no delivery receipt has come yet and it has not been entered.',
    });
    expect(await fake.postReceipt(receiptUrl, sentTo(to)?.id as string, 'delivered')).toBe(200);
    expect((await detail(challengeId)).why).toEqual({
      code: 'delivered_not_entered',
      sentence: 'The code was delivered to the phone but has not been entered.',
    });
    clock.advance(11 * 60_000);
    const expired = await detail(challengeId);
    expect(expired.why.code).toBe('expired');
    expect(expired.why.sentence).toMatch(/^The code expired at .* without being entered after it was delivered\.$/);
    expect(expired.timeline.at(-1)).toMatchObject({ kind: 'expired' });
  });

  it('entered_wrongly: N wrong codes, each on the timeline with its attempt number', async () => {
    const to = phone();
    const { challengeId } = await challenge(to);
    const right = codeIn(sentTo(to)?.text ?? '');
    const wrong = right === '000000' ? '111111' : '000000';
    for (let i = 0; i < 2; i++) {
      clock.advance(1000);
      expect(await t.sdk.verify({ challengeId, verificationCode: wrong })).toMatchObject({ isVerified: false });
    }
    const d = await detail(challengeId);
    expect(d.why).toEqual({ code: 'entered_wrongly', sentence: 'The code arrived but was entered wrongly 2 times.' });
    expect(d.timeline.filter((e) => e.kind === 'wrong_code').map((e) => e.attemptNumber)).toEqual([1, 2]);
  });

  it('refused_by_sigil: names the defence, its mode and its setting; pending for a test number', async () => {
    const { tenant, sdk } = await t.newTenant('limited');
    const own = management(t.apiUrl, tenant.managementSecretKey, '');
    const testNumber = phone();
    // The SMS policy exists once created (with a provider); the fake then replaces the provider.
    expect((await own.request('POST', '/authenticator-configurations/sms', twilioCreate)).status).toBe(200);
    expect((await own.request('PUT', '/sms-providers', { providers: [fake.config()] })).status).toBe(200);
    const patched = await own.request('PATCH', '/authenticator-configurations/sms', {
      sendingRateLimitConfigurations: [{ rateLimit: 1, windowInMinutes: 60 }],
    });
    expect(patched.status).toBe(200);
    const defences = await own.request('PATCH', '/sms-defences', {
      testNumbers: [{ phoneNumber: testNumber, code: '123456', expiresAt: '2027-01-01T00:00:00.000Z' }],
    });
    expect(defences.status).toBe(200);
    const to = phone();
    const { challengeId } = await sdk.challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: to });
    clock.advance(1000);
    const resend = await t.fetch('/challenge', {
      method: 'POST',
      key: tenant.apiSecretKey,
      body: JSON.stringify({ challengeId }),
    });
    expect(resend.status).toBe(429);
    const d = await detail(challengeId, own);
    expect(d.why).toEqual({
      code: 'refused_by_sigil',
      sentence:
        'Sigil did not send the code: the per-number sending limit refused it (defence sending_limit, mode enforce; setting sendingRateLimitConfigurations in the SMS policy).',
    });
    expect(d.timeline.map((e) => e.kind)).toEqual(['code_sent', 'send_refused']);
    expect(d.timeline[1]).toMatchObject({ defence: 'sending_limit', mode: 'enforce' });

    const test = await sdk.challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: testNumber });
    expect((await detail(test.challengeId, own)).why.code).toBe('pending');
    // Another tenant's key does not see it.
    expect((await api.request('GET', `/challenges/${test.challengeId}`)).status).toBe(404);
  });
});

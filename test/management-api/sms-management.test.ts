import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAGIC, type VendorFake } from '../fakes/common.js';
import { startTwilioFake, TWILIO_TEST_NUMBERS } from '../fakes/twilio.js';
import { databases } from '../helpers/databases.js';
import { type ManagementClient, management } from '../helpers/management.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';

interface TestReport {
  provider: string;
  outcome: string;
  message: string;
  providerMessageId?: string;
  error?: { kind: string; reason: string; message: string };
  attempts: { attempt: number; outcome: string; error: string | null }[];
}

describe.each(databases)('SMS provider management ($name)', (db) => {
  let t: TestServer;
  let fake: VendorFake;
  let api: ManagementClient;
  beforeAll(async () => {
    fake = await startTwilioFake();
    t = await startTestServer(db);
    api = management(t.apiUrl, t.tenant.managementSecretKey, '');
    expect((await api.request('PUT', '/sms-providers', { providers: [fake.config()] })).status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('lists providers masked, with the URL to give the vendor for receipts', async () => {
    const res = await api.request<{ providers: Record<string, unknown>[] }>('GET', '/sms-providers');
    expect(res.body.providers).toEqual([
      expect.objectContaining({
        type: 'twilio',
        authToken: expect.stringMatching(/^\*\*\*/),
        receiptUrl: expect.stringMatching(new RegExp(`/v1/sms-receipts/twilio/${t.tenant.tenantId}/[\\w-]{32}$`)),
      }),
    ]);
    expect(JSON.stringify(res.body)).not.toContain(fake.config().authToken as string);
  });

  it('names the entry and field of an invalid provider, and keeps the old list', async () => {
    const res = await api.request('PUT', '/sms-providers', {
      providers: [fake.config(), { type: 'bird', accessKey: 'k', workspaceId: 'ws_1', channelId: 'x' }],
    });
    expect(res.status).toBe(400);
    expect(res.body.errorDescription).toMatch(/^providers\[1\]: bird\.workspaceId is not valid/);
    const listed = await api.request<{ providers: { type: string }[] }>('GET', '/sms-providers');
    expect(listed.body.providers.map((p) => p.type)).toEqual(['twilio']);
  });

  it('test sends a real message through the chosen provider and reports it', async () => {
    const to = phone();
    const res = await api.request<TestReport>('POST', '/sms-providers/test', { phoneNumber: to, provider: 0 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ provider: 'twilio', outcome: 'accepted', attempts: [{ outcome: 'accepted' }] });
    expect(fake.messages.find((m) => m.to === to)?.id).toBe(res.body.providerMessageId);
  });

  it('test reports a refusal with its kind and reason, and retries transient failures', async () => {
    const wrong = await api.request<TestReport>('POST', '/sms-providers/test', {
      phoneNumber: phone(),
      provider: fake.wrongCredentials(),
    });
    expect(wrong.body).toMatchObject({ outcome: 'failed', error: { kind: 'route', reason: 'auth_failed' } });
    const retried = await api.request<TestReport>('POST', '/sms-providers/test', {
      phoneNumber: MAGIC.serverErrorOnce,
    });
    expect(retried.body.outcome).toBe('accepted');
    expect(retried.body.attempts.map((a) => a.outcome)).toEqual(['retryable', 'accepted']);
  });

  it('test states the result in plain words, for success and each kind of failure', async () => {
    const [unreachable] = Object.keys(TWILIO_TEST_NUMBERS).filter((n) => TWILIO_TEST_NUMBERS[n]?.[0] === 21612);
    const cases: [unknown, RegExp][] = [
      [phone(), /^Sent through Twilio; the vendor accepted it \(SM[0-9a-f]{32}\)\.$/],
      [
        MAGIC.invalidNumber,
        /^Not sent: Twilio refused the number as not valid\. .*The provider is fine; try another number\.$/,
      ],
      [MAGIC.optedOut, /^Not sent: Twilio says the number opted out .*try another number\.$/],
      [MAGIC.insufficientFunds, /^Not sent: Twilio refused the message because the account is out of funds.*fail over/],
      [unreachable, /^Not sent: Twilio cannot deliver to that destination from this account\..*fail over/],
      [MAGIC.serverError, /^Not sent: Twilio had an outage or a fault of its own; .*retried, then fail over/],
    ];
    for (const [to, message] of cases) {
      const res = await api.request<TestReport>('POST', '/sms-providers/test', { phoneNumber: to, provider: 0 });
      expect(res.body.message, String(to)).toMatch(message);
      // The vendor's own words are quoted, with the number masked.
      expect(res.body.message).not.toContain(String(to).slice(1));
    }
    const wrong = await api.request<TestReport>('POST', '/sms-providers/test', {
      phoneNumber: phone(),
      provider: fake.wrongCredentials(),
    });
    expect(wrong.body.message).toBe(
      'Not sent: Twilio refused the credentials: check them in the vendor console. In its words: "Twilio refused the message: 20003 Authenticate". Live messages would fail over to the next provider.',
    );
  });

  it('test refuses a bad choice or number with a 400', async () => {
    for (const body of [
      { phoneNumber: phone(), provider: 3 },
      { phoneNumber: phone(), provider: { type: 'twilio' } },
      { phoneNumber: phone(), provider: 'twilio' },
      { phoneNumber: '12' },
    ]) {
      const res = await api.request('POST', '/sms-providers/test', body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_request', errorCode: 'invalid_request' });
    }
  });

  it('the delivery timeline is 404 for an unknown challenge, and for another tenant', async () => {
    const { challengeId } = await t.sdk.challenge({
      verificationMethod: 'SMS',
      action: 'signIn',
      phoneNumber: phone(),
    });
    expect((await api.request('GET', `/challenges/${challengeId}/deliveries`)).status).toBe(200);
    expect((await api.request('GET', '/challenges/00000000-0000-0000-0000-000000000000/deliveries')).status).toBe(404);
    const { tenant } = await t.newTenant('other');
    const other = management(t.apiUrl, tenant.managementSecretKey, '');
    expect((await other.request('GET', `/challenges/${challengeId}/deliveries`)).status).toBe(404);
  });

  it('refuses receipts for a provider type without receipts, or with a garbled body', async () => {
    const base = `${t.apiUrl}/sms-receipts`;
    const modica = await fetch(`${base}/modica/${t.tenant.tenantId}/x`, { method: 'POST', body: '{}' });
    expect(modica.status).toBe(404);
    expect(await modica.json()).toMatchObject({ errorCode: 'not_found' });
    const unsigned = await fetch(`${base}/twilio/${t.tenant.tenantId}/x`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'MessageSid=SM1&MessageStatus=delivered',
    });
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toMatchObject({ error: 'unauthorized', errorCode: 'unauthorized' });
  });
});

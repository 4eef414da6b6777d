import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providerDefinitions } from '../../src/modules/sms/providers/index.js';
import { MAGIC, type ReceiptSender, type VendorFake } from '../fakes/common.js';
import { vendors } from '../fakes/index.js';
import { startTwilioFake } from '../fakes/twilio.js';
import { databases } from '../helpers/databases.js';
import { type ManagementClient, management } from '../helpers/management.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';

interface Timeline {
  challengeId: string;
  attempts: {
    provider: string;
    outcome: string;
    providerMessageId: string | null;
    deliveryStatus: string | null;
    receipts: { status: string; errorCode: string | null }[];
  }[];
}

const codeIn = (text: string) => /\b(\d{6})\b/.exec(text)?.[1] as string;

async function configure(api: ManagementClient, providers: Record<string, unknown>[]) {
  const res = await api.request<{ providers: { type: string; receiptUrl?: string }[] }>('PUT', '/sms-providers', {
    providers,
  });
  expect(res.status).toBe(200);
  return res.body.providers;
}

const cases = databases.flatMap((db) =>
  vendors.map((vendor) => ({ ...vendor, db, name: `${vendor.type}, ${db.name}` })),
);

describe.each(cases)('SMS vendor end to end ($name)', ({ type, start, db }) => {
  let t: TestServer;
  let fake: VendorFake & Partial<ReceiptSender>;
  let api: ManagementClient;
  let receiptUrl: string | undefined;
  const hasReceipts = () => Boolean(providerDefinitions[type]?.readReceipt && fake.postReceipt);

  beforeAll(async () => {
    fake = await start();
    t = await startTestServer(db);
    api = management(t.apiUrl, t.tenant.managementSecretKey, '');
    receiptUrl = (await configure(api, [fake.config()]))[0]?.receiptUrl;
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const timeline = async (challengeId: string) => {
    const res = await api.request<Timeline>('GET', `/challenges/${challengeId}/deliveries`);
    expect(res.status).toBe(200);
    return res.body;
  };

  it('signs in with the code that the vendor delivered', async () => {
    const to = phone();
    const { challengeId } = await t.sdk.challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: to });
    const sent = fake.messages.filter((m) => m.to === to);
    expect(sent).toHaveLength(1);
    const verified = await t.sdk.verify({ challengeId, verificationCode: codeIn(sent[0]?.text ?? '') });
    expect(verified).toMatchObject({ isVerified: true, phoneNumber: to });
    const claimed = await t.sdk.claimChallenge({ challengeId, userId: `user-${type}` });
    expect(claimed.token).toMatch(/^ey/);
    const { attempts } = await timeline(challengeId);
    expect(attempts).toMatchObject([{ provider: type, outcome: 'accepted', providerMessageId: sent[0]?.id }]);
  });

  it('answers a bad number with a 400 that the SDK surfaces', async () => {
    const err = await t.sdk
      .challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: MAGIC.invalidNumber })
      .catch((e) => e);
    expect(err).toMatchObject({ statusCode: 400, errorCode: 'invalid_request' });
  });

  it('records a failed delivery receipt in the timeline, once, and refuses forged ones', async () => {
    if (!hasReceipts()) {
      expect(providerDefinitions[type]?.readReceipt).toBeUndefined(); // this vendor has no documented receipts
      return;
    }
    const url = receiptUrl as string;
    const post = fake.postReceipt as ReceiptSender['postReceipt'];
    const { challengeId } = await t.sdk.challenge({
      verificationMethod: 'SMS',
      action: 'signIn',
      phoneNumber: MAGIC.failsByReceipt,
    });
    const id = fake.messages.filter((m) => m.to === MAGIC.failsByReceipt).at(-1)?.id as string;
    expect((await timeline(challengeId)).attempts[0]?.deliveryStatus).toBeNull();

    expect(await post(url, id, 'failed')).toBe(200);
    const after = await timeline(challengeId);
    expect(after.attempts[0]).toMatchObject({ deliveryStatus: 'failed' });
    expect(after.attempts[0]?.receipts).toHaveLength(1);

    // A replay (or the vendor's own retry) is acknowledged and changes nothing.
    expect(await post(url, id, 'failed')).toBe(200);
    expect((await timeline(challengeId)).attempts[0]?.receipts).toHaveLength(1);

    // A receipt URL with another token, or for another tenant, is refused.
    const { tenant: other } = await t.newTenant('other');
    const forgedToken = url.replace(/\/[^/]+$/, '/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    expect(await post(forgedToken, id, 'delivered')).toBe(401);
    expect(await post(url.replace(t.tenant.tenantId, other.tenantId), id, 'delivered')).toBe(401);
    expect((await timeline(challengeId)).attempts[0]?.deliveryStatus).toBe('failed');
  });

  it('marks a delivered message delivered; a vendor that signs must sign', async () => {
    if (!hasReceipts()) return expect(fake.postReceipt).toBeUndefined();
    const url = receiptUrl as string;
    const post = fake.postReceipt as ReceiptSender['postReceipt'];
    const to = phone();
    const { challengeId } = await t.sdk.challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: to });
    const id = fake.messages.filter((m) => m.to === to).at(-1)?.id as string;
    if (type === 'twilio' || type === 'bird') {
      expect(await post(url, id, 'delivered', { tamper: true })).toBe(401);
      expect((await timeline(challengeId)).attempts[0]?.deliveryStatus).toBeNull();
    }
    if (type === 'bird') {
      expect(await post(url, id, 'delivered', { timestampMs: Date.now() - 10 * 60_000 })).toBe(401);
    }
    expect(await post(url, id, 'delivered')).toBe(200);
    expect((await timeline(challengeId)).attempts[0]?.deliveryStatus).toBe('delivered');
  });
});

describe.each(databases)('SMS failover end to end ($name)', (db) => {
  let t: TestServer;
  let down: VendorFake;
  let up: VendorFake;
  beforeAll(async () => {
    [down, up] = await Promise.all([startTwilioFake(), startTwilioFake()]);
    t = await startTestServer(db);
    await configure(management(t.apiUrl, t.tenant.managementSecretKey, ''), [down.config(), up.config()]);
  });
  afterAll(async () => {
    await t?.close();
    await down?.close();
    await up?.close();
  });

  it('a user still receives a valid code when the first provider is down', async () => {
    down.setDown(true);
    const to = phone();
    const { challengeId } = await t.sdk.challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: to });
    expect(down.requests.length).toBeGreaterThanOrEqual(1);
    const [message] = up.messages.filter((m) => m.to === to);
    const verified = await t.sdk.verify({ challengeId, verificationCode: codeIn(message?.text ?? '') });
    expect(verified).toMatchObject({ isVerified: true });
  });
});

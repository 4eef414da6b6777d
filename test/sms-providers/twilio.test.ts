import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InboundReceipt, ReceiptRefused } from '../../src/modules/sms/providers/provider.js';
import { twilioProvider, twilioSignature } from '../../src/modules/sms/providers/twilio.js';
import type { ReceiptSender, VendorFake } from '../fakes/common.js';
import { startTwilioFake, TWILIO_TEST_NUMBERS } from '../fakes/twilio.js';
import { adapterContext, failure, message, parseRules } from './context.js';

const rules = parseRules();
const RECEIPTS = 'https://sigil.example.com/v1/sms-receipts/twilio/tenant-1/token';
let now = Date.now();
const ctx = adapterContext(() => now, RECEIPTS);

let fake: VendorFake & ReceiptSender;
beforeAll(async () => {
  fake = await startTwilioFake();
});
afterAll(() => fake.close());

const parse = (raw: Record<string, unknown>) => twilioProvider.parse(raw, rules);
const send = (to: string, raw = fake.config()) =>
  twilioProvider.create(parse(raw), ctx).send(message(to), { signal: AbortSignal.timeout(5_000) });

describe('twilio send', () => {
  it('posts the form Twilio documents, with the validity and status callback', async () => {
    now = Date.now();
    const m = message('+64211234567', { body: 'Your code is 123456', expiresAt: now + 300_000 });
    const c = fake.config();
    const { providerMessageId } = await twilioProvider
      .create(parse(c), ctx)
      .send(m, { signal: AbortSignal.timeout(5_000) });
    const req = fake.requests.at(-1);
    expect(req?.url).toBe(`/2010-04-01/Accounts/${c.accountSid}/Messages.json`);
    expect(req?.headers.authorization).toBe(
      `Basic ${Buffer.from(`${c.accountSid}:${c.authToken}`).toString('base64')}`,
    );
    expect(req?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(req?.rawBody))).toEqual({
      To: '+64211234567',
      Body: 'Your code is 123456',
      From: c.from,
      StatusCallback: RECEIPTS,
      ValidityPeriod: '300', // the code's remaining life: a late code is useless
    });
    expect(providerMessageId).toMatch(/^SM[0-9a-f]{32}$/);
  });

  it('sends with a Messaging Service instead of a From number', async () => {
    const { from: _from, ...rest } = fake.config();
    // The fake accepts any MG sid; a real account must own it.
    await send('+64211234568', { ...rest, messagingServiceSid: `MG${'0'.repeat(32)}` });
    const form = new URLSearchParams(fake.requests.at(-1)?.rawBody);
    expect(form.get('MessagingServiceSid')).toBe(`MG${'0'.repeat(32)}`);
    expect(form.has('From')).toBe(false);
  });

  it('refuses a config with neither From nor a Messaging Service, or a malformed SID', () => {
    const { from: _from, ...rest } = fake.config();
    expect(() => parse(rest)).toThrow('twilio.from or twilio.messagingServiceSid is required');
    expect(() => parse({ ...fake.config(), accountSid: 'SK123' })).toThrow('twilio.accountSid is not valid');
    expect(() => parse({ ...fake.config(), from: 'A sender ID that is too long' })).toThrow('twilio.from is not valid');
  });

  it("maps Twilio's own test numbers by error code: the number's fault or the route's", async () => {
    const expected: Record<string, [string, string]> = {
      '+15005550001': ['number', 'invalid_number'],
      '+15005550002': ['route', 'unsupported_destination'], // another vendor may route it
      '+15005550003': ['route', 'misconfigured'], // geo permissions are the account's
      '+15005550004': ['number', 'opted_out'],
      '+15005550009': ['number', 'not_sms_capable'],
    };
    for (const to of Object.keys(TWILIO_TEST_NUMBERS)) {
      const err = await failure(send(to));
      expect([to, err.kind, err.reason]).toEqual([to, ...(expected[to] as [string, string])]);
    }
  });

  it('reads a sender that the account does not own as a route failure', async () => {
    const err = await failure(send('+64211234569', { ...fake.config(), from: '+15550000000' }));
    expect([err.kind, err.reason]).toEqual(['route', 'sender_not_allowed']);
  });
});

describe('twilio receipts', () => {
  const c = () => parse(fake.config()) as Parameters<NonNullable<typeof twilioProvider.readReceipt>>[1][number];
  const receipt = (params: Record<string, string>, signature: string | undefined, url = RECEIPTS): InboundReceipt => ({
    url,
    headers: signature === undefined ? {} : { 'x-twilio-signature': signature },
    rawBody: Buffer.from(new URLSearchParams(params).toString()),
  });
  const read = (r: InboundReceipt) => twilioProvider.readReceipt?.(r, [c()], Date.now());
  const delivered = { MessageSid: 'SM1', MessageStatus: 'delivered', AccountSid: 'AC1', To: '+64211234567' };

  it('accepts a callback signed with the Auth Token over the URL and sorted parameters', () => {
    const sig = twilioSignature(c().authToken, RECEIPTS, new URLSearchParams(delivered));
    expect(read(receipt(delivered, sig))).toEqual([
      {
        providerMessageId: 'SM1',
        status: 'delivered',
        vendorStatus: 'delivered',
        errorCode: undefined,
        dedupeKey: 'SM1:delivered',
      },
    ]);
  });

  it('reads undelivered with its error code as failed, and ignores interim statuses', () => {
    const failed = { ...delivered, MessageStatus: 'undelivered', ErrorCode: '30003' };
    const sig = twilioSignature(c().authToken, RECEIPTS, new URLSearchParams(failed));
    expect(read(receipt(failed, sig))).toMatchObject([{ status: 'failed', errorCode: '30003' }]);
    const queued = { ...delivered, MessageStatus: 'queued' };
    expect(read(receipt(queued, twilioSignature(c().authToken, RECEIPTS, new URLSearchParams(queued))))).toEqual([]);
  });

  it('refuses a missing signature, another key, another URL and a changed parameter', () => {
    const params = new URLSearchParams(delivered);
    const sig = twilioSignature(c().authToken, RECEIPTS, params);
    expect(() => read(receipt(delivered, undefined))).toThrow(ReceiptRefused);
    expect(() => read(receipt(delivered, twilioSignature('0'.repeat(32), RECEIPTS, params)))).toThrow(ReceiptRefused);
    expect(() => read(receipt(delivered, sig, `${RECEIPTS}x`))).toThrow(ReceiptRefused);
    expect(() => read(receipt({ ...delivered, MessageStatus: 'failed' }, sig))).toThrow(ReceiptRefused);
  });
});

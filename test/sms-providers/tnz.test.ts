import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SmsMessage } from '../../src/modules/sms/providers/provider.js';
import { type TnzConfig, tnzProvider } from '../../src/modules/sms/providers/tnz.js';
import { MAGIC, type ReceiptSender, type VendorFake } from '../fakes/common.js';
import { expectations, startTnzFake } from '../fakes/tnz.js';
import { adapterContext, failure, message, parseRules, startReceiptSink } from './context.js';

const rules = parseRules();
const HTTPS_RECEIPTS = 'https://sigil.example/v1/sms-receipts/tnz/tenant-1/token';
const CHALLENGE_ID = '8f2c1e4a-0b6d-4c1e-9a7f-3d2b1c0e9f8a';

/** Sends through the adapter built from `raw`, with a short timeout: the fake answers at once or never. */
function send(
  raw: Record<string, unknown>,
  to = '+64211234567',
  { ctx = adapterContext(Date.now, HTTPS_RECEIPTS), timeoutMs = 2_000, overrides = {} as Partial<SmsMessage> } = {},
) {
  const provider = tnzProvider.create(tnzProvider.parse(raw, rules), ctx);
  return provider.send(message(to, overrides), { signal: AbortSignal.timeout(timeoutMs) });
}

let fake: VendorFake & ReceiptSender;
beforeAll(async () => {
  fake = await startTnzFake();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
});

describe('TNZ adapter against its fake', () => {
  it('sends the documented request and returns the MessageID', async () => {
    const result = await send(fake.config(), undefined, {
      overrides: { body: 'Your code is 123456', challengeId: CHALLENGE_ID, sendId: `${CHALLENGE_ID}-1` },
    });
    expect(result).toEqual({ providerMessageId: '8f2c1e4a0b6d4c1e9a7f3d2b1c0e9f8a1' }); // the challenge and send number
    const [req] = fake.requests;
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/api/v2.04/send/sms');
    // The token goes verbatim, not base64(user:pass).
    expect(req?.headers.authorization).toBe(`Basic ${fake.config().apiKey}`);
    expect(req?.headers['content-type']).toBe("application/json; encoding='utf-8'");
    expect(JSON.parse(req?.rawBody ?? '')).toEqual({
      MessageData: {
        Message: 'Your code is 123456',
        Destinations: [{ Recipient: '+64211234567' }],
        MessageID: '8f2c1e4a0b6d4c1e9a7f3d2b1c0e9f8a1',
        Reference: 'signIn',
        FromNumber: fake.config().fromNumber,
        WebhookCallbackURL: HTTPS_RECEIPTS,
        WebhookCallbackFormat: 'JSON',
      },
    });
  });

  it('leaves out the callback URL when the receipt URL is not https, which TNZ would refuse', async () => {
    await send(fake.config(), undefined, {
      ctx: adapterContext(Date.now, 'http://127.0.0.1:8080/v1/sms-receipts/tnz/tenant-1/token'),
    });
    const data = JSON.parse(fake.requests[0]?.rawBody ?? '').MessageData;
    expect(data).not.toHaveProperty('WebhookCallbackURL');
    expect(data.WebhookCallbackFormat).toBe('JSON');
  });

  it('sends no FromNumber when none is configured', async () => {
    const { fromNumber: _, ...raw } = fake.config();
    await send(raw);
    expect(JSON.parse(fake.requests[0]?.rawBody ?? '').MessageData).not.toHaveProperty('FromNumber');
  });

  it('reads a wrong Auth Token as auth_failed', async () => {
    expect(await failure(send(fake.wrongCredentials()))).toMatchObject({ kind: 'route', reason: 'auth_failed' });
  });

  it('reads any other refusal as bad_request for this route', async () => {
    const err = await failure(send({ ...fake.config(), fromNumber: '+6421999999' }));
    expect(err).toMatchObject({ kind: 'route', reason: 'bad_request' });
  });

  it('classifies the magic numbers as the fake expects', async () => {
    for (const name of ['invalidNumber', 'optedOut', 'insufficientFunds'] as const) {
      const expected = expectations[name];
      const outcome = send(fake.config(), MAGIC[name]);
      if (expected === 'accepted') await expect(outcome).resolves.toHaveProperty('providerMessageId');
      else expect(await failure(outcome)).toMatchObject(expected);
    }
    expect(await failure(send(fake.config(), MAGIC.rateLimited))).toMatchObject({
      kind: 'retryable',
      reason: 'rate_limited',
      retryAfterMs: 1000,
    });
    expect(await failure(send(fake.config(), MAGIC.serverError))).toMatchObject({ kind: 'retryable' });
    await expect(send(fake.config(), MAGIC.failsByReceipt)).resolves.toHaveProperty('providerMessageId');
  });

  it('fails once, then accepts, for the fail-once numbers', async () => {
    for (const to of [MAGIC.rateLimitedOnce, MAGIC.serverErrorOnce]) {
      expect(await failure(send(fake.config(), to))).toMatchObject({ kind: 'retryable' });
      await expect(send(fake.config(), to)).resolves.toHaveProperty('providerMessageId');
    }
  });

  it('gives up on a hanging request when the signal times out', async () => {
    const err = await failure(send(fake.config(), MAGIC.hang, { timeoutMs: 300 }));
    expect(err).toMatchObject({ kind: 'retryable', reason: 'timeout' });
  });

  it('reads an outage as retryable', async () => {
    fake.setDown(true);
    try {
      expect(await failure(send(fake.config()))).toMatchObject({ kind: 'retryable', reason: 'http_503' });
    } finally {
      fake.setDown(false);
    }
  });
});

describe('TNZ config', () => {
  it('names the bad field', () => {
    const { apiKey: _, ...noKey } = fake.config();
    expect(() => tnzProvider.parse(noKey, rules)).toThrow(/tnz\.apiKey is required/);
    expect(() => tnzProvider.parse({ ...fake.config(), apiKey: 'Basic abc.def ghi' }, rules)).toThrow(/tnz\.apiKey/);
    expect(() => tnzProvider.parse({ ...fake.config(), fromNumber: 'not a number' }, rules)).toThrow(/tnz\.fromNumber/);
    expect(() => tnzProvider.parse({ ...fake.config(), baseUrl: 'http://api.tnz.co.nz' }, rules)).toThrow(
      /tnz\.baseUrl must use https/,
    );
  });

  it('defaults the base URL and never shows the token', () => {
    const parsed = tnzProvider.parse({ apiKey: fake.config().apiKey }, rules);
    expect(parsed).toEqual({ type: 'tnz', apiKey: fake.config().apiKey, baseUrl: 'https://api.tnz.co.nz' });
    expect(JSON.stringify(tnzProvider.mask(parsed))).not.toContain(parsed.apiKey);
  });
});

describe('TNZ receipts', () => {
  const read = (body: unknown) =>
    // biome-ignore lint/style/noNonNullAssertion: tnz has readReceipt
    tnzProvider.readReceipt!(
      {
        url: HTTPS_RECEIPTS,
        headers: {},
        rawBody: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
      },
      [] as TnzConfig[],
      Date.now(),
    );

  it('reads the webhook the fake posts, delivered and failed', async () => {
    const sink = await startReceiptSink();
    const url = `${sink.url}/v1/sms-receipts/tnz/tenant-1/token`;
    try {
      const ok = await send(fake.config());
      const late = await send(fake.config(), MAGIC.failsByReceipt);
      expect(await fake.postReceipt(url, ok.providerMessageId, 'delivered')).toBe(200);
      expect(await fake.postReceipt(url, late.providerMessageId, 'delivered')).toBe(200);
      const [delivered, failed] = sink.requests.map((req) => read(req.rawBody));
      expect(delivered).toEqual([
        {
          providerMessageId: ok.providerMessageId,
          status: 'delivered',
          vendorStatus: 'Success',
          errorCode: undefined,
          dedupeKey: `${ok.providerMessageId}:Success`,
        },
      ]);
      expect(failed).toMatchObject([
        { providerMessageId: late.providerMessageId, status: 'failed', errorCode: 'Undeliverable' },
      ]);
    } finally {
      await sink.close();
    }
  });

  it('reads per-recipient statuses, any case, and the credit hold', () => {
    expect(
      read({ MessageID: 'ABC', Recipients: [{ Destination: '+64211234567', Status: 'FAILED', ErrorCode: 12 }] }),
    ).toEqual([
      { providerMessageId: 'ABC', status: 'failed', vendorStatus: 'FAILED', errorCode: '12', dedupeKey: 'ABC:FAILED' },
    ]);
    expect(read({ MessageID: 'ABC', Result: 'Transmit' })).toMatchObject([
      { status: 'sent', vendorStatus: 'Transmit' },
    ]);
    expect(read({ MessageID: 'ABC', Status: 'CreditHold' })).toMatchObject([{ status: 'failed' }]);
  });

  it('ignores what carries no tracked status', () => {
    expect(read('<xml/>')).toEqual([]);
    expect(read({ Status: 'Success' })).toEqual([]);
    expect(read({ MessageID: 'ABC', Status: 'Delayed' })).toEqual([]);
    expect(read({ MessageID: 'ABC', Type: 'SMSReply', Status: 'Received' })).toEqual([]);
  });
});

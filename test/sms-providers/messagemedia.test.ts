import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageMediaProvider } from '../../src/modules/sms/providers/messagemedia.js';
import type { InboundReceipt } from '../../src/modules/sms/providers/provider.js';
import { MAGIC, type ReceiptSender, type VendorFake } from '../fakes/common.js';
import { expectations, startMessageMediaFake } from '../fakes/messagemedia.js';
import { adapterContext, failure, message, parseRules, startReceiptSink } from './context.js';

const RECEIPT_URL = 'http://127.0.0.1:9/v1/sms-receipts/x/t/tok';
const rules = parseRules();
const ctx = adapterContext(Date.now, RECEIPT_URL);

let fake: VendorFake & ReceiptSender;
/** Where the fake posts delivery reports: records them so that readReceipt can read them as Sigil would. */
let sink: Awaited<ReturnType<typeof startReceiptSink>>;

beforeAll(async () => {
  fake = await startMessageMediaFake();
  sink = await startReceiptSink();
});
afterAll(async () => {
  await fake.close();
  await sink.close();
});

const parse = (raw: Record<string, unknown>) => messageMediaProvider.parse(raw, rules);
const provider = (raw = fake.config()) => messageMediaProvider.create(parse(raw), ctx);
const send = (to: string, raw = fake.config(), signal = AbortSignal.timeout(5_000)) =>
  provider(raw).send(message(to), { signal });

describe('messagemedia send', () => {
  it('posts the Messages API request and returns the message id', async () => {
    const m = message('+64211234567', { body: 'Your code is 123456' });
    const { providerMessageId } = await provider().send(m, { signal: AbortSignal.timeout(5_000) });
    const c = fake.config();
    const req = fake.requests.at(-1);
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/v1/messages');
    expect(req?.headers.authorization).toBe(`Basic ${Buffer.from(`${c.apiKey}:${c.apiSecret}`).toString('base64')}`);
    expect(req?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req?.rawBody ?? '')).toEqual({
      messages: [
        {
          content: 'Your code is 123456',
          destination_number: '+64211234567',
          format: 'SMS',
          delivery_report: true,
          callback_url: RECEIPT_URL,
          message_expiry_timestamp: new Date(m.expiresAt).toISOString(),
          metadata: { challengeId: m.challengeId },
          source_number: 'SigilTest',
          source_number_type: 'ALPHANUMERIC',
        },
      ],
    });
    expect(providerMessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(fake.messages.at(-1)?.id).toBe(providerMessageId);
  });

  it('sends from an international number, or from the account default', async () => {
    await send('+64211234567', { ...fake.config(), sourceNumber: '+6421555000' });
    const item = JSON.parse(fake.requests.at(-1)?.rawBody ?? '').messages[0];
    expect([item.source_number, item.source_number_type]).toEqual(['+6421555000', 'INTERNATIONAL']);
    await send('+64211234567', { ...fake.config(), sourceNumber: undefined });
    expect(JSON.parse(fake.requests.at(-1)?.rawBody ?? '').messages[0]).not.toHaveProperty('source_number');
  });

  it('reads wrong credentials as a route failure, and an unregistered sender as a bad request', async () => {
    const auth = await failure(send('+64211234567', fake.wrongCredentials()));
    expect([auth.kind, auth.reason]).toEqual(['route', 'auth_failed']);
    const sender = await failure(send('+64211234567', { ...fake.config(), sourceNumber: 'Unknown' }));
    expect([sender.kind, sender.reason]).toEqual(['route', 'bad_request']);
  });

  it('answers each scenario number as expected', async () => {
    for (const [name, expected] of Object.entries(expectations)) {
      const to = MAGIC[name as keyof typeof expectations];
      if (expected === 'accepted') {
        await expect(send(to)).resolves.toHaveProperty('providerMessageId');
      } else {
        const err = await failure(send(to));
        expect({ kind: err.kind, reason: err.reason }, name).toEqual(expected);
      }
    }
  });

  it('passes on 429 and 5xx as retryable', async () => {
    const limited = await failure(send(MAGIC.rateLimited));
    expect([limited.kind, limited.reason, limited.retryAfterMs]).toEqual(['retryable', 'rate_limited', 1000]);
    const broken = await failure(send(MAGIC.serverError));
    expect([broken.kind, broken.reason]).toEqual(['retryable', 'http_500']);
    for (const to of [MAGIC.rateLimitedOnce, MAGIC.serverErrorOnce]) {
      expect((await failure(send(to))).kind).toBe('retryable');
      await expect(send(to)).resolves.toHaveProperty('providerMessageId');
    }
  });

  it('gives up on a vendor that never answers when the signal fires', async () => {
    const err = await failure(send(MAGIC.hang, fake.config(), AbortSignal.timeout(300)));
    expect([err.kind, err.reason]).toEqual(['retryable', 'timeout']);
  });
});

describe('messagemedia config', () => {
  it('names the bad field', () => {
    const good = fake.config();
    expect(() => parse({ ...good, apiKey: undefined })).toThrow(/messagemedia\.apiKey is required/);
    expect(() => parse({ ...good, apiSecret: '' })).toThrow(/messagemedia\.apiSecret is required/);
    expect(() => parse({ ...good, sourceNumber: 'AB' })).toThrow(/messagemedia\.sourceNumber/);
    expect(() => parse({ ...good, sourceNumber: 'TwelveChars1' })).toThrow(/messagemedia\.sourceNumber/);
    expect(() => parse({ ...good, baseUrl: 'http://api.example.com' })).toThrow(/messagemedia\.baseUrl/);
    expect(parse({ ...good, baseUrl: undefined }).baseUrl).toBe('https://api.messagemedia.com');
  });

  it('never shows the secret', () => {
    const c = fake.config();
    const shown = JSON.stringify(messageMediaProvider.mask(parse(c)));
    expect(shown).not.toContain(c.apiSecret as string);
  });
});

describe('messagemedia delivery reports', () => {
  const read = (req: InboundReceipt) => messageMediaProvider.readReceipt?.(req, [parse(fake.config())], Date.now());

  /** Has the fake post a report, then hands it over as the router would (after checking the URL token). */
  async function receive(id: string, outcome: 'delivered' | 'failed'): Promise<InboundReceipt> {
    const url = `${sink.url}/v1/sms-receipts/messagemedia/t/tok`;
    expect(await fake.postReceipt(url, id, outcome)).toBe(200);
    const req = sink.requests.at(-1);
    if (!req) throw new Error('no report arrived');
    return { url, headers: req.headers, rawBody: Buffer.from(req.rawBody) };
  }

  it('reads delivered and failed reports, keyed by the report id', async () => {
    const { providerMessageId: id } = await send('+64211234567');
    const delivered = await receive(id, 'delivered');
    const reportId = JSON.parse(delivered.rawBody.toString()).delivery_report_id;
    expect(read(delivered)).toEqual([
      { providerMessageId: id, status: 'delivered', vendorStatus: 'delivered', errorCode: '220', dedupeKey: reportId },
    ]);
    const { providerMessageId: doomed } = await send(MAGIC.failsByReceipt);
    expect(read(await receive(doomed, 'delivered'))).toMatchObject([
      { providerMessageId: doomed, status: 'failed', vendorStatus: 'failed', errorCode: '400' },
    ]);
    const { providerMessageId: blocked } = await send(MAGIC.optedOut);
    expect(read(await receive(blocked, 'delivered'))).toMatchObject([
      { status: 'failed', vendorStatus: 'rejected', errorCode: '302' },
    ]);
  });

  it('ignores reports it cannot read or does not track', () => {
    const report = (body: string): InboundReceipt => ({ url: 'x', headers: {}, rawBody: Buffer.from(body) });
    expect(read(report('not json'))).toEqual([]);
    expect(read(report(JSON.stringify({ message_id: 'm1', status: 'queued' })))).toEqual([]);
    expect(read(report(JSON.stringify({ reply_id: 'r1', content: 'STOP' })))).toEqual([]);
    expect(read(report(JSON.stringify({ message_id: 'm1', status: 'enroute' })))).toEqual([
      { providerMessageId: 'm1', status: 'sent', vendorStatus: 'enroute', dedupeKey: 'm1:enroute' },
    ]);
  });
});

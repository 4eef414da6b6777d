import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BirdConfig, birdProvider, birdSignature } from '../../src/modules/sms/providers/bird.js';
import { type InboundReceipt, ReceiptRefused } from '../../src/modules/sms/providers/provider.js';
import { expectations, startBirdFake } from '../fakes/bird.js';
import { MAGIC, type ReceiptSender, type VendorFake } from '../fakes/common.js';
import { adapterContext, failure, message, parseRules, startReceiptSink } from './context.js';

const rules = parseRules();
const ctx = adapterContext();

let fake: VendorFake & ReceiptSender;
/** Where the fake posts receipts: records them so that readReceipt can read them as Sigil would. */
let sink: Awaited<ReturnType<typeof startReceiptSink>>;

beforeAll(async () => {
  fake = await startBirdFake();
  sink = await startReceiptSink();
});
afterAll(async () => {
  await fake.close();
  await sink.close();
});

const parse = (raw: Record<string, unknown>) => birdProvider.parse(raw, rules);
const provider = (raw = fake.config()) => birdProvider.create(parse(raw), ctx);
const send = (to: string, raw = fake.config(), signal = AbortSignal.timeout(5_000)) =>
  provider(raw).send(message(to), { signal });

describe('bird send', () => {
  it('posts the Channels API request and returns the message id', async () => {
    const m = message('+64211234567', { body: 'Your code is 123456' });
    const { providerMessageId } = await provider().send(m, { signal: AbortSignal.timeout(5_000) });
    const c = fake.config();
    const req = fake.requests.at(-1);
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe(`/workspaces/${c.workspaceId}/channels/${c.channelId}/messages`);
    expect(req?.headers.authorization).toBe(`AccessKey ${c.accessKey}`);
    expect(req?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req?.rawBody ?? '')).toEqual({
      receiver: { contacts: [{ identifierKey: 'phonenumber', identifierValue: '+64211234567' }] },
      body: { type: 'text', text: { text: 'Your code is 123456' } },
      reference: m.challengeId,
    });
    expect(providerMessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(fake.messages.at(-1)?.id).toBe(providerMessageId);
  });

  it('reads wrong credentials as a route failure', async () => {
    const err = await failure(send('+64211234567', fake.wrongCredentials()));
    expect([err.kind, err.reason]).toEqual(['route', 'auth_failed']);
  });

  it('reads an unknown channel as misconfigured', async () => {
    const err = await failure(send('+64211234567', { ...fake.config(), channelId: randomUUID() }));
    expect([err.kind, err.reason]).toEqual(['route', 'misconfigured']);
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

  it('retries nothing itself, and passes on 429 and 5xx as retryable', async () => {
    const limited = await failure(send(MAGIC.rateLimited));
    expect([limited.kind, limited.reason, limited.retryAfterMs]).toEqual(['retryable', 'rate_limited', 1000]);
    const broken = await failure(send(MAGIC.serverError));
    expect([broken.kind, broken.reason]).toEqual(['retryable', 'http_500']);
    for (const to of [MAGIC.rateLimitedOnce, MAGIC.serverErrorOnce]) {
      expect((await failure(send(to))).kind).toBe('retryable');
      await expect(send(to)).resolves.toHaveProperty('providerMessageId');
    }
    fake.setDown(true);
    try {
      expect((await failure(send('+64211234567'))).reason).toBe('http_503');
    } finally {
      fake.setDown(false);
    }
  });

  it('gives up on a vendor that never answers when the signal fires', async () => {
    const err = await failure(send(MAGIC.hang, fake.config(), AbortSignal.timeout(300)));
    expect([err.kind, err.reason]).toEqual(['retryable', 'timeout']);
  });
});

describe('bird config', () => {
  it('names the bad field', () => {
    const good = fake.config();
    expect(() => parse({ ...good, workspaceId: undefined })).toThrow(/bird\.workspaceId is required/);
    expect(() => parse({ ...good, workspaceId: 'ws_abc' })).toThrow(/bird\.workspaceId is not valid/);
    expect(() => parse({ ...good, channelId: '123' })).toThrow(/bird\.channelId/);
    expect(() => parse({ ...good, accessKey: '' })).toThrow(/bird\.accessKey/);
    expect(() => parse({ ...good, baseUrl: 'http://api.example.com' })).toThrow(/bird\.baseUrl/);
    expect(parse({ ...good, baseUrl: undefined }).baseUrl).toBe('https://api.bird.com');
  });

  it('never shows the secrets', () => {
    const c = fake.config();
    const shown = JSON.stringify(birdProvider.mask(parse(c)));
    expect(shown).not.toContain(c.accessKey as string);
    expect(shown).not.toContain(c.signingKey as string);
    expect(shown).toContain(c.workspaceId as string);
  });
});

describe('bird receipts', () => {
  const receiptUrl = () => `${sink.url}/v1/sms-receipts/bird/t/tok?x=1`;
  const configs = () => [parse(fake.config())];

  /** Has the fake post a receipt, then hands it over as the router would. */
  async function receive(id: string, outcome: 'delivered' | 'failed', options = {}): Promise<InboundReceipt> {
    expect(await fake.postReceipt(receiptUrl(), id, outcome, options)).toBe(200);
    const req = sink.requests.at(-1);
    if (!req) throw new Error('no receipt arrived');
    return { url: receiptUrl(), headers: req.headers, rawBody: Buffer.from(req.rawBody) };
  }

  it('accepts a signed receipt and reads delivered and failed', async () => {
    const { providerMessageId: id } = await send('+64211234567');
    const delivered = await receive(id, 'delivered');
    expect(birdProvider.readReceipt?.(delivered, configs(), Date.now())).toEqual([
      {
        providerMessageId: id,
        status: 'delivered',
        vendorStatus: 'delivered',
        dedupeKey: delivered.headers['messagebird-request-id'],
      },
    ]);
    const { providerMessageId: doomed } = await send(MAGIC.failsByReceipt);
    const [failed] = birdProvider.readReceipt?.(await receive(doomed, 'delivered'), configs(), Date.now()) ?? [];
    expect(failed).toMatchObject({ providerMessageId: doomed, status: 'failed', vendorStatus: 'delivery_failed' });
    expect(failed?.errorCode).toBe('15005');
  });

  it('tries every config, and refuses a wrong key, a stale timestamp or a missing signing key', async () => {
    const { providerMessageId: id } = await send('+64211234567');
    const other: BirdConfig = { ...configs()[0], signingKey: 'someone-else' } as BirdConfig;
    const good = await receive(id, 'delivered');
    expect(birdProvider.readReceipt?.(good, [other, ...configs()], Date.now())).toHaveLength(1);
    const read =
      (req: InboundReceipt, c = configs()) =>
      () =>
        birdProvider.readReceipt?.(req, c, Date.now());
    expect(read(await receive(id, 'delivered', { tamper: true }))).toThrow(ReceiptRefused);
    expect(read(await receive(id, 'delivered', { timestampMs: Date.now() - 10 * 60_000 }))).toThrow(ReceiptRefused);
    expect(read({ ...good, url: `${good.url}&y=2` })).toThrow(ReceiptRefused);
    const { signingKey: _, ...unsigned } = configs()[0] as BirdConfig;
    expect(read(good, [unsigned])).toThrow(/signingKey/);
  });

  it('accepts a millisecond timestamp and ignores statuses it does not track', () => {
    const key = fake.config().signingKey as string;
    const url = receiptUrl();
    const rawBody = Buffer.from(
      JSON.stringify({ service: 'channels', event: 'sms.outbound', payload: { id: 'm1', status: 'processing' } }),
    );
    const timestamp = String(Date.now());
    const req: InboundReceipt = {
      url,
      rawBody,
      headers: {
        'messagebird-signature': birdSignature(key, timestamp, url, rawBody),
        'messagebird-request-timestamp': timestamp,
      },
    };
    expect(birdProvider.readReceipt?.(req, configs(), Date.now())).toEqual([]);
  });
});

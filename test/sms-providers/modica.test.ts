import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { modicaProvider } from '../../src/modules/sms/providers/modica.js';
import type { SmsMessage } from '../../src/modules/sms/providers/provider.js';
import { MAGIC, type VendorFake } from '../fakes/common.js';
import { expectations, startModicaFake } from '../fakes/modica.js';
import { adapterContext, failure, message, parseRules } from './context.js';

const rules = parseRules();

/** Sends through the adapter built from `raw`, with a short timeout: the fake answers at once or never. */
function send(
  raw: Record<string, unknown>,
  to = '+64211234567',
  { timeoutMs = 2_000, overrides = {} as Partial<SmsMessage> } = {},
) {
  const provider = modicaProvider.create(modicaProvider.parse(raw, rules), adapterContext());
  return provider.send(message(to, overrides), { signal: AbortSignal.timeout(timeoutMs) });
}

let fake: VendorFake;
beforeAll(async () => {
  fake = await startModicaFake();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
});

describe('Modica adapter against its fake', () => {
  it('sends the documented request and returns the integer id as a string', async () => {
    const challengeId = randomUUID();
    const result = await send(fake.config(), '+64211234567', {
      overrides: { body: 'Your code is 123456', challengeId },
    });
    expect(result.providerMessageId).toMatch(/^\d+$/);
    expect(fake.messages.at(-1)?.id).toBe(result.providerMessageId);
    const [req] = fake.requests;
    const { applicationName, password, source } = fake.config();
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/rest/gateway/messages');
    expect(req?.headers.authorization).toBe(
      `Basic ${Buffer.from(`${applicationName}:${password}`).toString('base64')}`,
    );
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers.accept).toBe('application/json');
    expect(JSON.parse(req?.rawBody ?? '')).toEqual({
      destination: '+64211234567',
      content: 'Your code is 123456',
      reference: challengeId,
      source,
    });
  });

  it('sends no source when none is configured', async () => {
    const { source: _, ...raw } = fake.config();
    await send(raw);
    expect(JSON.parse(fake.requests[0]?.rawBody ?? '')).not.toHaveProperty('source');
  });

  it('reads wrong credentials as auth_failed', async () => {
    expect(await failure(send(fake.wrongCredentials()))).toMatchObject({ kind: 'route', reason: 'auth_failed' });
  });

  it('reads a source the application does not own as bad_request', async () => {
    expect(await failure(send({ ...fake.config(), source: '9999' }))).toMatchObject({
      kind: 'route',
      reason: 'bad_request',
    });
  });

  it('reads a wrong base URL as misconfigured', async () => {
    expect(await failure(send({ ...fake.config(), baseUrl: `${fake.url}/v2` }))).toMatchObject({
      kind: 'route',
      reason: 'misconfigured',
    });
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

describe('Modica config', () => {
  it('names the bad field', () => {
    const { password: _, ...noPassword } = fake.config();
    expect(() => modicaProvider.parse(noPassword, rules)).toThrow(/modica\.password is required/);
    const { applicationName: __, ...noName } = fake.config();
    expect(() => modicaProvider.parse(noName, rules)).toThrow(/modica\.applicationName is required/);
    expect(() => modicaProvider.parse({ ...fake.config(), applicationName: 'a:b' }, rules)).toThrow(
      /modica\.applicationName/,
    );
    expect(() => modicaProvider.parse({ ...fake.config(), source: 'SIGIL' }, rules)).toThrow(/modica\.source/);
  });

  it('defaults the base URL and never shows the password', () => {
    const { applicationName, password } = fake.config();
    const parsed = modicaProvider.parse({ applicationName, password }, rules);
    expect(parsed).toEqual({ type: 'modica', applicationName, password, baseUrl: 'https://api.modicagroup.com' });
    expect(JSON.stringify(modicaProvider.mask(parsed))).not.toContain(password);
  });

  it('reads no receipts: the DLR format is undocumented', () => {
    expect(modicaProvider.readReceipt).toBeUndefined();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../src/errors.js';
import { providerDefinitions } from '../../src/modules/sms/providers/index.js';
import type { SmsProvider } from '../../src/modules/sms/providers/provider.js';
import { MAGIC, type VendorFake } from '../fakes/common.js';
import { vendors } from '../fakes/index.js';
import { adapterContext, failure, message, parseRules } from './context.js';

/**
 * One suite for every vendor adapter, each against its local fake: the same guarantees whatever the
 * vendor. Vendor-specific request details are in each vendor's own test file.
 */
describe.each(vendors)('$type adapter conformance', (vendor) => {
  const definition = providerDefinitions[vendor.type];
  const rules = parseRules();
  let fake: VendorFake;
  let provider: SmsProvider;

  const send = (to: string, signal = AbortSignal.timeout(5_000)) => provider.send(message(to), { signal });
  /** The SmsSendError that sending to `to` fails with. */
  const refused = (to: string, signal?: AbortSignal) => failure(send(to, signal));

  beforeAll(async () => {
    fake = await vendor.start();
    if (!definition) throw new Error(`${vendor.type} is not registered in providers/index.ts`);
    provider = definition.create(definition.parse(fake.config(), rules), adapterContext());
  });
  afterAll(() => fake?.close());

  it('is registered under its type', () => {
    expect(definition?.type).toBe(vendor.type);
  });

  it('delivers the exact text to the E.164 number and returns the vendor message ID', async () => {
    const m = message('+64211234567');
    const result = await provider.send(m, { signal: AbortSignal.timeout(5_000) });
    const accepted = fake.messages.at(-1);
    expect(accepted).toMatchObject({ id: result.providerMessageId, to: '+64211234567', text: m.body });
  });

  it('refuses a config without its credentials, naming the field', () => {
    const raw = fake.config();
    const secretField = Object.keys(raw).find((k) => raw[k] !== fake.wrongCredentials()[k]) as string;
    delete raw[secretField];
    expect(() => definition?.parse(raw, rules)).toThrow(ApiError);
    expect(() => definition?.parse(raw, rules)).toThrow(`${vendor.type}.${secretField}`);
  });

  it('masks every credential', () => {
    const raw = fake.config();
    const masked = JSON.stringify(definition?.mask(definition.parse(raw, rules)));
    const wrong = fake.wrongCredentials();
    for (const [k, v] of Object.entries(raw)) {
      if (v !== wrong[k]) expect(masked).not.toContain(String(v));
    }
  });

  it('refuses a base URL that is not https', () => {
    expect(() => definition?.parse({ ...fake.config(), baseUrl: 'http://sms.example.com' }, rules)).toThrow(
      `${vendor.type}.baseUrl must use https`,
    );
  });

  it('reports wrong credentials as a route failure (auth_failed), not retryable', async () => {
    const wrong = definition?.create(definition.parse(fake.wrongCredentials(), rules), adapterContext());
    const err = await wrong?.send(message('+64211234567'), { signal: AbortSignal.timeout(5_000) }).catch((e) => e);
    expect(err).toMatchObject({ kind: 'route', reason: 'auth_failed' });
  });

  for (const scenario of ['invalidNumber', 'optedOut', 'insufficientFunds'] as const) {
    const expected = vendor.expectations[scenario];
    it(`${scenario}: ${expected === 'accepted' ? 'accepted, failed later by receipt' : `${expected.kind} ${expected.reason}`}`, async () => {
      if (expected === 'accepted') {
        await expect(send(MAGIC[scenario])).resolves.toHaveProperty('providerMessageId');
      } else {
        expect(await refused(MAGIC[scenario])).toMatchObject(expected);
      }
    });
  }

  it('429 is retryable and carries Retry-After', async () => {
    expect(await refused(MAGIC.rateLimited)).toMatchObject({ kind: 'retryable', retryAfterMs: 1_000 });
  });

  it('500 is retryable', async () => {
    expect(await refused(MAGIC.serverError)).toMatchObject({ kind: 'retryable' });
  });

  it('a vendor that hangs is cut off by the timeout, as retryable', async () => {
    const started = Date.now();
    expect(await refused(MAGIC.hang, AbortSignal.timeout(300))).toMatchObject({ kind: 'retryable', reason: 'timeout' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('an outage (503) is retryable', async () => {
    fake.setDown(true);
    try {
      expect(await refused('+64211234567')).toMatchObject({ kind: 'retryable' });
    } finally {
      fake.setDown(false);
    }
  });

  it('the fail-once numbers succeed on the second try', async () => {
    expect(await refused(MAGIC.rateLimitedOnce)).toMatchObject({ kind: 'retryable' });
    await expect(send(MAGIC.rateLimitedOnce)).resolves.toHaveProperty('providerMessageId');
    expect(await refused(MAGIC.serverErrorOnce)).toMatchObject({ kind: 'retryable' });
    await expect(send(MAGIC.serverErrorOnce)).resolves.toHaveProperty('providerMessageId');
  });

  it('a closed port is a retryable network failure', async () => {
    const closed = definition?.create(
      definition.parse({ ...fake.config(), baseUrl: 'http://127.0.0.1:9' }, rules),
      adapterContext(),
    );
    const err = await closed?.send(message('+64211234567'), { signal: AbortSignal.timeout(5_000) }).catch((e) => e);
    expect(err).toMatchObject({ kind: 'retryable', reason: 'network' });
  });
});

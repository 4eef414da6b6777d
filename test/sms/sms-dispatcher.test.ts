import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import { cryptoRandom } from '../../src/lib/random.js';
import type { ProviderConfig, SmsConfigService } from '../../src/modules/sms/config-service.js';
import { DeliveryError, type DispatchOptions, SmsDispatcher } from '../../src/modules/sms/dispatcher.js';
import { MAGIC, type VendorFake } from '../fakes/common.js';
import { startTwilioFake } from '../fakes/twilio.js';
import { adapterContext, message } from '../sms-providers/context.js';

/**
 * The dispatcher's paths (issue 4, point 2), against two real Twilio fakes as first and second
 * provider. Time is a ManualClock that the injected sleep advances, so backoff and budgets are exact
 * and no test waits for them.
 */
describe('SMS dispatcher', () => {
  let first: VendorFake;
  let second: VendorFake;
  beforeAll(async () => {
    [first, second] = await Promise.all([startTwilioFake(), startTwilioFake()]);
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
  });
  afterEach(() => {
    first.setDown(false);
    second.setDown(false);
    vi.useRealTimers();
  });

  function dispatcher(providers: ProviderConfig[], options: Partial<DispatchOptions> = {}) {
    const clock = new ManualClock(Date.now());
    const slept: number[] = [];
    const d = new SmsDispatcher(
      { list: async () => providers } as unknown as SmsConfigService,
      adapterContext(() => clock.now()),
      clock,
      cryptoRandom,
      pino({ level: 'silent' }),
      {
        timeoutMs: 2_000,
        attemptsPerProvider: 3,
        sendBudgetMs: 15_000,
        breakerFailures: 5,
        breakerCooldownMs: 30_000,
        sleep: async (ms) => {
          slept.push(ms);
          clock.advance(ms);
        },
        ...options,
      },
    );
    return { d, slept, clock };
  }
  const both = () => [first.config() as ProviderConfig, second.config() as ProviderConfig];
  const received = (fake: VendorFake, to: string) => fake.messages.filter((m) => m.to === to);
  const requestsTo = (fake: VendorFake, to: string) =>
    fake.requests.filter((r) => new URLSearchParams(r.rawBody).get('To') === to);

  it('sends through the first provider when it works, in one attempt', async () => {
    const { d, slept } = dispatcher(both());
    const m = message('+64211230001');
    const delivery = await d.send(m);
    expect(delivery).toMatchObject({ provider: 'twilio', attempts: [{ attempt: 1, outcome: 'accepted' }] });
    expect(received(first, m.to)).toHaveLength(1);
    expect(received(second, m.to)).toHaveLength(0);
    expect(slept).toEqual([]);
  });

  it('retries a 429 after its Retry-After, with the same text', async () => {
    const { d, slept } = dispatcher(both());
    const m = message(MAGIC.rateLimitedOnce);
    const delivery = await d.send(m);
    expect(delivery.attempts.map((a) => [a.attempt, a.outcome, a.error])).toEqual([
      [1, 'retryable', 'rate_limited'],
      [2, 'accepted', null],
    ]);
    expect(slept).toHaveLength(1);
    expect(slept[0]).toBeGreaterThanOrEqual(1_000); // Retry-After: 1
    const bodies = requestsTo(first, m.to).map((r) => new URLSearchParams(r.rawBody).get('Body'));
    expect(bodies).toEqual([m.body, m.body]);
  });

  it('retries a 500 after a jittered backoff below the cap', async () => {
    const { d, slept } = dispatcher(both());
    const delivery = await d.send(message(MAGIC.serverErrorOnce));
    expect(delivery.attempts.map((a) => a.outcome)).toEqual(['retryable', 'accepted']);
    expect(slept).toHaveLength(1);
    expect(slept[0]).toBeGreaterThan(0);
    expect(slept[0]).toBeLessThanOrEqual(2_000);
  });

  it('fails over when the first provider is down, and the user still gets the code', async () => {
    first.setDown(true);
    const { d, slept } = dispatcher(both());
    const m = message('+64211230002');
    const delivery = await d.send(m);
    expect(delivery.attempts.map((a) => [a.attempt, a.provider, a.outcome])).toEqual([
      [1, 'twilio', 'retryable'],
      [2, 'twilio', 'retryable'],
      [3, 'twilio', 'retryable'],
      [4, 'twilio', 'accepted'],
    ]);
    expect(slept).toHaveLength(2); // between the three tries of the first provider only
    expect(received(second, m.to)).toEqual([expect.objectContaining({ text: m.body })]);
  });

  it('fails over at once on a route failure (wrong credentials), without retrying', async () => {
    const { d, slept } = dispatcher([first.wrongCredentials() as ProviderConfig, second.config() as ProviderConfig]);
    const m = message('+64211230003');
    const delivery = await d.send(m);
    expect(delivery.attempts.map((a) => [a.outcome, a.error])).toEqual([
      ['route', 'auth_failed'],
      ['accepted', null],
    ]);
    expect(slept).toEqual([]);
  });

  it('stops at once on a bad number: no retry, no failover, a 400 for the caller', async () => {
    const { d } = dispatcher(both());
    const err = await d.send(message(MAGIC.invalidNumber)).catch((e) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(err.description).toMatch(/not a valid phone number/);
    // Twilio echoes the number in its message; the caller's error (and any log of it) gets it masked.
    expect(err.description).not.toContain(MAGIC.invalidNumber);
    expect((err as DeliveryError).attempts.map((a) => [a.outcome, a.error])).toEqual([['number', 'invalid_number']]);
    expect(requestsTo(second, MAGIC.invalidNumber)).toHaveLength(0);
  });

  it('fails over instead of waiting when Retry-After would overrun the send budget', async () => {
    const { d, slept } = dispatcher(both(), { sendBudgetMs: 800 });
    const m = message(MAGIC.rateLimited);
    const err = await d.send(m).catch((e) => e);
    // Both providers answer 429 to this number; neither wait of 1 s fits in 800 ms.
    expect(slept).toEqual([]);
    expect(err).toMatchObject({ status: 502, code: 'sms_delivery_failed' });
    expect((err as DeliveryError).attempts.map((a) => a.error)).toEqual(['rate_limited', 'rate_limited']);
  });

  it('cuts off a hanging provider at the timeout and fails over, within the budget', async () => {
    const { d } = dispatcher(both(), { timeoutMs: 200, attemptsPerProvider: 1 });
    const started = Date.now();
    const err = await d.send(message(MAGIC.hang)).catch((e) => e);
    expect(err).toMatchObject({ code: 'sms_delivery_failed' });
    expect((err as DeliveryError).attempts.map((a) => a.error)).toEqual(['timeout', 'timeout']);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('stops retrying when the send budget is spent', async () => {
    first.setDown(true);
    second.setDown(true);
    const { d, clock } = dispatcher(both(), { sendBudgetMs: 3_000, attemptsPerProvider: 10 });
    const started = clock.now();
    const err = await d.send(message('+64211230004')).catch((e) => e);
    expect(err).toMatchObject({ code: 'sms_delivery_failed' });
    expect(clock.now() - started).toBeLessThanOrEqual(3_000);
    expect((err as DeliveryError).attempts.length).toBeLessThan(20);
  });

  it('skips a provider whose messages keep failing, then tries it again after the cooldown', async () => {
    vi.useFakeTimers({ toFake: ['Date'] }); // cockatiel's breaker reads Date.now()
    first.setDown(true);
    const { d } = dispatcher(both(), { breakerFailures: 2, breakerCooldownMs: 30_000, attemptsPerProvider: 1 });
    for (const to of ['+64211230005', '+64211230006']) {
      expect((await d.send(message(to))).attempts.map((a) => a.outcome)).toEqual(['retryable', 'accepted']);
    }
    // Open: the first provider is not even asked.
    const skippedTo = '+64211230007';
    const skipped = await d.send(message(skippedTo));
    expect(skipped.attempts.map((a) => [a.outcome, a.error])).toEqual([
      ['skipped', 'circuit_open'],
      ['accepted', null],
    ]);
    expect(requestsTo(first, skippedTo)).toHaveLength(0);

    // After the cooldown one message tests it; it works again, so the circuit closes.
    first.setDown(false);
    vi.setSystemTime(Date.now() + 30_001);
    const again = await d.send(message('+64211230008'));
    expect(again.attempts.map((a) => a.outcome)).toEqual(['accepted']);
    expect(received(first, '+64211230008')).toHaveLength(1);
  });

  it('does not count bad numbers against a provider', async () => {
    const { d } = dispatcher(both(), { breakerFailures: 1 });
    await d.send(message(MAGIC.invalidNumber)).catch(() => undefined);
    const next = await d.send(message('+64211230009'));
    expect(next.attempts.map((a) => a.outcome)).toEqual(['accepted']);
  });

  it('when every provider fails, says so with every attempt kept', async () => {
    first.setDown(true);
    second.setDown(true);
    const { d } = dispatcher(both(), { attemptsPerProvider: 2 });
    const err = await d.send(message('+64211230010')).catch((e) => e);
    expect(err).toMatchObject({ status: 502, code: 'sms_delivery_failed' });
    expect((err as DeliveryError).attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
  });
});

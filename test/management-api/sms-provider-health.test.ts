import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAGIC, type VendorFake } from '../fakes/common.js';
import { startTwilioFake } from '../fakes/twilio.js';
import { databases } from '../helpers/databases.js';
import { management } from '../helpers/management.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';

interface Health {
  index: number;
  id: string;
  type: string;
  name: string;
  breaker: 'closed' | 'open' | 'half_open';
  lastFailureAt: string | null;
  lastError: string | null;
}

const COOLDOWN_MS = 1_000;

/** Each provider's circuit breaker, opened by real failures of the Twilio fake and seen through the API. */
describe.each(databases)('SMS provider health ($name)', (db) => {
  let t: TestServer;
  let fake: VendorFake;
  let health: () => Promise<Health[]>;
  beforeAll(async () => {
    fake = await startTwilioFake();
    t = await startTestServer(db, {
      SIGIL_SMS_BREAKER_FAILURES: '2',
      SIGIL_SMS_BREAKER_COOLDOWN_MS: String(COOLDOWN_MS),
      SIGIL_SMS_ATTEMPTS_PER_PROVIDER: '1',
    });
    const api = management(t.apiUrl, t.tenant.managementSecretKey, '');
    expect((await api.request('PUT', '/sms-providers', { providers: [fake.config(), { type: 'dev' }] })).status).toBe(
      200,
    );
    health = async () => {
      const res = await api.request<Health[]>('GET', '/sms-providers/health');
      expect(res.status).toBe(200);
      return res.body;
    };
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const challenge = (to = phone()) => t.sdk.challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: to });

  it('reports closed circuits with no failure before any trouble', async () => {
    expect(await health()).toEqual([
      {
        index: 0,
        id: expect.any(String),
        type: 'twilio',
        name: 'Twilio',
        breaker: 'closed',
        lastFailureAt: null,
        lastError: null,
      },
      {
        index: 1,
        id: expect.any(String),
        type: 'dev',
        name: 'Development inbox',
        breaker: 'closed',
        lastFailureAt: null,
        lastError: null,
      },
    ]);
  });

  it('opens after consecutive failures of the vendor, says why in plain words, then half-opens and closes', async () => {
    fake.setDown(true);
    const numbers = [phone(), phone()];
    try {
      for (const to of numbers) await challenge(to); // each fails over to the dev inbox
      const before = Date.now();
      const [twilio, dev] = await health();
      expect(twilio).toMatchObject({
        breaker: 'open',
        lastError: 'Twilio had an outage or a fault of its own; try again shortly.',
      });
      expect(Date.parse(twilio?.lastFailureAt ?? '')).toBeLessThanOrEqual(before);
      expect(dev).toMatchObject({ breaker: 'closed', lastError: null });
      const text = JSON.stringify(twilio);
      for (const to of numbers) expect(text).not.toContain(to.slice(1));
      expect(text).not.toContain(String(fake.config().authToken));

      // While open, Twilio is skipped: the fake sees no request.
      const seen = fake.requests.length;
      await challenge();
      expect(fake.requests.length).toBe(seen);
    } finally {
      fake.setDown(false);
    }
    await new Promise((resolve) => setTimeout(resolve, COOLDOWN_MS + 100));
    expect((await health())[0]?.breaker).toBe('half_open');
    await challenge(); // the trial message goes through Twilio and closes the circuit
    expect((await health())[0]).toMatchObject({ breaker: 'closed', lastError: expect.stringMatching(/^Twilio /) });
  });

  it('does not count a bad number against the provider', async () => {
    const { tenant, sdk } = await t.newTenant();
    const api = management(t.apiUrl, tenant.managementSecretKey, '');
    await api.request('PUT', '/sms-providers', { providers: [fake.config()] });
    for (let i = 0; i < 3; i++) {
      await sdk
        .challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: MAGIC.invalidNumber })
        .catch(() => {});
    }
    const res = await api.request<Health[]>('GET', '/sms-providers/health');
    expect(res.body).toEqual([expect.objectContaining({ breaker: 'closed', lastFailureAt: null, lastError: null })]);
  });
});

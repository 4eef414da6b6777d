import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import type { Defence, RateWindow, SmsPolicy } from '../../src/modules/limits/policy.js';
import { limitBackends } from '../helpers/databases.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';

// biome-ignore lint/suspicious/noExplicitAny: error and success bodies have many shapes; tests read fields.
type Reply = { status: number; retryAfter: string | null; body: any };

/** One tenant's Server API, raw, so that status, Retry-After and body can all be read. */
interface Caller {
  tenantId: string;
  post(path: string, body: unknown): Promise<Reply>;
}

/**
 * One rate limit on sends, as a case: how to set it, and the i-th send that counts against one and the same
 * key of it (one number, one IP, one user, one prefix, the tenant) without reaching any other limit.
 */
interface RateCase {
  defence: Defence;
  what: string;
  set(p: SmsPolicy, w: RateWindow): SmsPolicy;
  send(c: Caller, i: number): Promise<Reply>;
  /** The window is fixed (the tenant's day): rateLimit can be set, windowInMinutes cannot. */
  fixedWindowMinutes?: number;
}

const challenge = (c: Caller, body: Record<string, unknown>) =>
  c.post('/challenge', { verificationMethod: 'SMS', action: 'signIn', ...body });

/** A NZ mobile number whose first 6 digits are 642110, the i-th of its block. */
const inBlock = (i: number) => `+642110${String(i).padStart(5, '0')}`;

const NUMBER = '+64211234567';
const IP = '203.0.113.7';

const cases: RateCase[] = [
  {
    defence: 'sending_limit',
    what: 'This number',
    set: (p, w) => ({ ...p, sendingRateLimitConfigurations: [w] }),
    send: (c) => challenge(c, { phoneNumber: NUMBER }),
  },
  {
    defence: 'ip_limit',
    what: 'This IP address',
    set: (p, w) => ({ ...p, ipRateLimitConfigurations: [w] }),
    // The Server API counts the ipAddress that track recorded: challenge with the tracked idempotencyKey.
    send: async (c, i) => {
      const tracked = await c.post(`/users/ip-user-${i}/actions/signIn`, { ipAddress: IP });
      expect(tracked.status).toBe(200);
      return challenge(c, { idempotencyKey: tracked.body.idempotencyKey, phoneNumber: phone() });
    },
  },
  {
    defence: 'user_limit',
    what: 'This user',
    set: (p, w) => ({ ...p, userRateLimitConfigurations: [w] }),
    send: (c) => challenge(c, { userId: 'one-user', phoneNumber: phone() }),
  },
  {
    defence: 'tenant_limit',
    what: 'This tenant',
    set: (p, w) => ({ ...p, tenantDailyLimit: w.rateLimit }),
    send: (c) => challenge(c, { phoneNumber: phone() }),
    fixedWindowMinutes: 1440,
  },
  {
    defence: 'prefix_limit',
    what: 'Numbers starting +642110',
    set: (p, w) => ({
      ...p,
      prefixRateLimitConfigurations: [{ enabled: true, blockSize: 6, countryCodes: [], ...w }],
    }),
    send: (c, i) => challenge(c, { phoneNumber: inBlock(i) }),
  },
];

describe.each(limitBackends)('send limits ($name)', (backend) => {
  let t: TestServer;
  const clock = new ManualClock(Date.now());
  beforeAll(async () => {
    t = await startTestServer(backend, {}, { clock });
  });
  afterAll(() => t.close());

  /** A fresh tenant per test: every counter key holds the tenant, so tests cannot reach each other's. */
  async function caller(change?: (p: SmsPolicy) => SmsPolicy): Promise<Caller> {
    const { tenant } = await t.newTenant();
    if (change) await t.server.deps.smsPolicies.update(tenant.tenantId, change);
    return {
      tenantId: tenant.tenantId,
      async post(path, body) {
        const res = await t.fetch(path, { method: 'POST', body: JSON.stringify(body), key: tenant.apiSecretKey });
        return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
      },
    };
  }

  /** Lets a window pass: the ManualClock ends the database's windows, Redis ends its own by its clock. */
  async function pass(ms: number) {
    clock.advance(ms);
    if (backend.redis) await new Promise((resolve) => setTimeout(resolve, ms + 150));
  }
  /** Redis windows end by real time: there the windows that must end in a test are 3 s long. */
  const shortWindow = backend.redis ? 1 / 20 : 10;

  const sends = async (c: Caller, rc: RateCase, from: number, n: number) => {
    const replies: Reply[] = [];
    for (let i = from; i < from + n; i++) replies.push(await rc.send(c, i));
    return replies;
  };
  const statuses = (replies: Reply[]) => replies.map((r) => r.status);
  const smsCount = async (tenantId: string) =>
    (await t.server.deps.db.selectFrom('dev_inbox').select('id').where('tenant_id', '=', tenantId).execute()).length;
  const decisions = (tenantId: string) =>
    t.server.deps.db.selectFrom('sms_decisions').selectAll().where('tenant_id', '=', tenantId).execute();
  const triggers = (tenantId: string) =>
    t.server.deps.db.selectFrom('sms_decision_triggers').selectAll().where('tenant_id', '=', tenantId).execute();

  describe('defaults', () => {
    it('sending_limit: 5 codes per number in 10 minutes, then 429 naming the limit', async () => {
      const c = await caller();
      const replies = await sends(c, cases[0] as RateCase, 0, 6);
      expect(statuses(replies)).toEqual([200, 200, 200, 200, 200, 429]);
      expect(replies[5]?.body.errorDescription).toBe(
        'This number has reached its limit of 5 codes in 10 minutes. Try again later.',
      );
      expect((await challenge(c, { phoneNumber: phone() })).status).toBe(200); // another number is not affected
    });

    // The hourly window needs ten minutes to pass twice: the ManualClock does that, Redis's clock does not.
    it.skipIf(backend.redis)('sending_limit: 10 codes per number in 60 minutes, across 10-minute windows', async () => {
      const c = await caller();
      const rc = cases[0] as RateCase;
      expect(statuses(await sends(c, rc, 0, 5))).toEqual([200, 200, 200, 200, 200]);
      await pass(10 * 60_000 + 1);
      expect(statuses(await sends(c, rc, 0, 5))).toEqual([200, 200, 200, 200, 200]);
      await pass(10 * 60_000 + 1);
      const refused = await rc.send(c, 0);
      expect(refused.status).toBe(429);
      expect(refused.body.errorDescription).toMatch(/^This number has reached its limit of 10 codes in 60 minutes/);
    });

    it('ip_limit: 30 codes per tracked IP in 60 minutes', async () => {
      const c = await caller();
      const replies = await sends(c, cases[1] as RateCase, 0, 31);
      expect(statuses(replies.slice(0, 30)).every((s) => s === 200)).toBe(true);
      expect(replies[30]?.status).toBe(429);
      expect(replies[30]?.body.errorDescription).toMatch(/^This IP address has reached its limit of 30 codes in 60/);
    });

    it("ip_limit through the Client API: counts the caller's address, not the one track was given", async () => {
      const c = await caller((p) => ({ ...p, ipRateLimitConfigurations: [{ rateLimit: 3, windowInMinutes: 60 }] }));
      const replies: Reply[] = [];
      for (let i = 0; i < 4; i++) {
        const tracked = await c.post(`/users/client-${i}/actions/signIn`, { ipAddress: `198.51.100.${i}` });
        const res = await fetch(`${t.apiUrl}/client/user-authenticators/sms`, {
          method: 'POST',
          headers: { authorization: `Bearer ${tracked.body.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ phoneNumber: phone() }),
        });
        replies.push({ status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() });
      }
      expect(statuses(replies)).toEqual([200, 200, 200, 429]);
      expect(replies[3]?.body.errorDescription).toMatch(/^This IP address has reached its limit of 3 codes in 60/);
      expect(Number(replies[3]?.retryAfter)).toBeGreaterThan(3590);
      expect([...new Set((await decisions(c.tenantId)).map((d) => d.ip_address))]).toEqual(['127.0.0.1']);
    });

    it('user_limit: 10 codes per user in 60 minutes', async () => {
      const c = await caller();
      const replies = await sends(c, cases[2] as RateCase, 0, 11);
      expect(statuses(replies.slice(0, 10)).every((s) => s === 200)).toBe(true);
      expect(replies[10]?.status).toBe(429);
      expect(replies[10]?.body.errorDescription).toMatch(/^This user has reached its limit of 10 codes in 60 minutes/);
    });

    it('tenant_limit: 100,000 codes per tenant a day, enforced; no prefix limit', async () => {
      const c = await caller();
      const policy = await t.server.deps.smsPolicies.get(c.tenantId);
      expect(policy).toMatchObject({ tenantDailyLimit: 100_000, prefixRateLimitConfigurations: [] });
      expect(policy.modes).toMatchObject({ tenant_limit: 'enforce', prefix_limit: 'enforce' });
      // Twelve numbers of one 6-digit block: more than any default budget per number or per user.
      expect(statuses(await sends(c, cases[4] as RateCase, 0, 12)).every((s) => s === 200)).toBe(true);
    });
  });

  describe.each(cases)('$defence', (rc) => {
    const minutes = rc.fixedWindowMinutes ?? 10;

    it('refuses past the budget with 429, Retry-After and a description naming the limit; sends nothing', async () => {
      const c = await caller((p) => rc.set(p, { rateLimit: 2, windowInMinutes: minutes }));
      const replies = await sends(c, rc, 0, 3);
      expect(statuses(replies)).toEqual([200, 200, 429]);
      const refused = replies[2] as Reply;
      expect(refused.body).toEqual({
        error: 'too_many_requests',
        errorCode: 'too_many_requests',
        errorDescription: `${rc.what} ${rc.defence === 'prefix_limit' ? 'have reached their' : 'has reached its'} limit of 2 codes in ${minutes} minutes. Try again later.`,
      });
      // The window opened with the first send and the ManualClock stood still; Redis's clock did not.
      const retryAfter = Number(refused.retryAfter);
      if (backend.redis) expect(retryAfter).toBeGreaterThan(minutes * 60 - 10);
      else expect(retryAfter).toBe(minutes * 60);
      expect(retryAfter).toBeLessThanOrEqual(minutes * 60);
      expect(await smsCount(c.tenantId)).toBe(2);
      const refusedDecision = (await decisions(c.tenantId)).filter((d) => d.outcome === 'refused');
      expect(refusedDecision).toMatchObject([{ kind: 'send', defence: rc.defence }]);
      expect(await triggers(c.tenantId)).toMatchObject([{ defence: rc.defence, mode: 'enforce' }]);
    });

    // The tenant's window is a day: only the ManualClock can end it within a test.
    it.skipIf(backend.redis && rc.fixedWindowMinutes !== undefined)(
      'sends again once the window has passed, and counts the new window afresh',
      async () => {
        const window = rc.fixedWindowMinutes ?? shortWindow;
        const c = await caller((p) => rc.set(p, { rateLimit: 2, windowInMinutes: window }));
        expect(statuses(await sends(c, rc, 0, 3))).toEqual([200, 200, 429]);
        await pass(window * 60_000 + 1);
        expect(statuses(await sends(c, rc, 3, 3))).toEqual([200, 200, 429]);
      },
    );

    it('in record_only, lets every send through and records what it would have refused', async () => {
      const c = await caller((p) => ({
        ...rc.set(p, { rateLimit: 1, windowInMinutes: minutes }),
        modes: { ...p.modes, [rc.defence]: 'record_only' },
      }));
      expect(statuses(await sends(c, rc, 0, 3))).toEqual([200, 200, 200]);
      expect(await smsCount(c.tenantId)).toBe(3);
      const recorded = await decisions(c.tenantId);
      expect(recorded.map((d) => d.outcome)).toEqual(['allowed', 'allowed', 'allowed']);
      expect(recorded.filter((d) => d.defence === rc.defence)).toHaveLength(2);
      const rows = await triggers(c.tenantId);
      expect(rows).toHaveLength(2);
      expect(rows.every((r) => r.defence === rc.defence && r.mode === 'record_only')).toBe(true);
    });

    it('keeps tenants apart: another tenant sends to the same number, IP or user', async () => {
      const set = (p: SmsPolicy) => rc.set(p, { rateLimit: 2, windowInMinutes: minutes });
      const [a, b] = [await caller(set), await caller(set)];
      expect(statuses(await sends(a, rc, 0, 3))).toEqual([200, 200, 429]);
      expect(statuses(await sends(b, rc, 0, 3))).toEqual([200, 200, 429]);
    });
  });
});

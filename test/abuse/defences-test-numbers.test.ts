import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import type { SmsPolicy } from '../../src/modules/limits/policy.js';
import { limitBackends } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// biome-ignore lint/suspicious/noExplicitAny: error and success bodies have many shapes; tests read fields.
type Reply = { status: number; body: any };

const TEST_NUMBER = '+64211112222';
const FIXED_CODE = '135790';
const REAL_NUMBER = '+64213334444';

/** Every limit as tight as it goes: one code per number and per tenant, one submission, two wrong codes. */
const tight = (p: SmsPolicy): SmsPolicy => ({
  ...p,
  sendingRateLimitConfigurations: [{ rateLimit: 1, windowInMinutes: 60 }],
  userRateLimitConfigurations: [{ rateLimit: 1, windowInMinutes: 60 }],
  tenantDailyLimit: 1,
  submissionRateLimitConfiguration: { rateLimit: 1, windowInMinutes: 60 },
  failureBudget: { maxConsecutiveFailures: 2, lockoutMinutes: 60 },
});

/**
 * Test numbers, for app-store reviewers and end-to-end tests: a fixed code, no SMS, no limit, every use
 * recorded; once expired, an ordinary number again.
 */
describe.each(limitBackends)('test numbers ($name)', (backend) => {
  let t: TestServer;
  const clock = new ManualClock(Date.now());
  beforeAll(async () => {
    t = await startTestServer(backend, {}, { clock });
  });
  afterAll(() => t.close());

  async function tenant(change?: (p: SmsPolicy) => SmsPolicy, expiresInMs = 3_600_000) {
    const { tenant } = await t.newTenant();
    const testNumbers = [
      { phoneNumber: TEST_NUMBER, code: FIXED_CODE, expiresAt: new Date(clock.now() + expiresInMs).toISOString() },
    ];
    if (change) await t.server.deps.smsPolicies.update(tenant.tenantId, (p) => ({ ...change(p), testNumbers }));
    const post = async (path: string, body: unknown, token?: string): Promise<Reply> => {
      const init = { method: 'POST', body: JSON.stringify(body) };
      const res = token
        ? await fetch(`${t.apiUrl}${path}`, {
            ...init,
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          })
        : await t.fetch(path, { ...init, key: tenant.apiSecretKey });
      return { status: res.status, body: await res.json() };
    };
    const start = (to: string, extra: Record<string, unknown> = {}) =>
      post('/challenge', { verificationMethod: 'SMS', action: 'signIn', phoneNumber: to, ...extra });
    const verify = (challengeId: string, verificationCode: string) =>
      post('/verify', { challengeId, verificationCode });
    const inbox = async () =>
      (
        await t.server.deps.db
          .selectFrom('dev_inbox')
          .select(['to', 'body'])
          .where('tenant_id', '=', tenant.tenantId)
          .execute()
      ).map((r) => ({ to: r.to, code: /\b(\d{6})\b/.exec(r.body)?.[1] }));
    const decisions = () =>
      t.server.deps.db
        .selectFrom('sms_decisions')
        .select(['kind', 'outcome', 'phone_number', 'challenge_id', 'defence'])
        .where('tenant_id', '=', tenant.tenantId)
        .execute();
    return { tenantId: tenant.tenantId, post, start, verify, inbox, decisions };
  }

  it('has none by default: the number gets an SMS with a random code', async () => {
    const c = await tenant();
    expect((await t.server.deps.smsPolicies.get(c.tenantId)).testNumbers).toEqual([]);
    const { challengeId } = (await c.start(TEST_NUMBER)).body;
    const [sms] = await c.inbox();
    expect(sms?.to).toBe(TEST_NUMBER);
    expect((await c.verify(challengeId, sms?.code as string)).body).toMatchObject({ isVerified: true });
  });

  it('takes the fixed code, sends no SMS, and records the use', async () => {
    const c = await tenant((p) => p);
    const started = await c.start(TEST_NUMBER);
    expect(started.status).toBe(200);
    expect(await c.inbox()).toEqual([]);
    expect((await c.verify(started.body.challengeId, FIXED_CODE)).body).toEqual({
      isVerified: true,
      phoneNumber: TEST_NUMBER,
      verificationMethod: 'SMS',
    });
    // A resend keeps the fixed code and sends nothing either.
    const again = (await c.start(TEST_NUMBER)).body.challengeId as string;
    expect((await c.post('/challenge', { challengeId: again })).status).toBe(200);
    expect((await c.verify(again, FIXED_CODE)).body).toMatchObject({ isVerified: true });
    expect(await c.inbox()).toEqual([]);
    const recorded = await c.decisions();
    expect(recorded).toHaveLength(3);
    expect(recorded.every((d) => d.kind === 'send' && d.outcome === 'test' && d.phone_number === TEST_NUMBER)).toBe(
      true,
    );
    expect(recorded.map((d) => d.challenge_id)).toEqual(
      expect.arrayContaining([started.body.challengeId, again, again]),
    );
  });

  it('counts against no limit: not the number, the user, the tenant, the submissions or the failure budget', async () => {
    const c = await tenant(tight);
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const started = await c.start(TEST_NUMBER, { userId: 'reviewer' });
      expect(started.status).toBe(200);
      ids.push(started.body.challengeId);
    }
    for (const id of ids.slice(0, 4)) {
      expect((await c.verify(id, '000000')).body).toEqual({
        isVerified: false,
        failureReason: 'CODE_INVALID_OR_EXPIRED',
      });
    }
    expect((await c.verify(ids[7] as string, FIXED_CODE)).body).toMatchObject({ isVerified: true });
    // The tenant's one code a day, the user's one an hour, are still unused.
    expect((await c.start(REAL_NUMBER, { userId: 'reviewer' })).status).toBe(200);
    expect((await c.start('+64215556666')).status).toBe(429);
    expect((await c.decisions()).filter((d) => d.kind === 'submission')).toEqual([]);
  });

  it('gives the fixed code through the Client API too, for enrollment', async () => {
    const c = await tenant((p) => p);
    const tracked = (await c.post('/users/reviewer/actions/signIn', {})).body;
    const enrolled = await c.post('/client/user-authenticators/sms', { phoneNumber: TEST_NUMBER }, tracked.token);
    expect(enrolled.status).toBe(200);
    const verified = await c.post('/client/verify/sms', { verificationCode: FIXED_CODE }, tracked.token);
    expect(verified.body).toMatchObject({ isVerified: true, accessToken: expect.any(String) });
    expect(await c.inbox()).toEqual([]);
  });

  it('is an ordinary number once expired: an SMS, a random code, and every limit', async () => {
    const c = await tenant(tight, 60_000);
    clock.advance(60_001);
    const started = await c.start(TEST_NUMBER);
    expect(started.status).toBe(200);
    const [sms] = await c.inbox();
    expect(sms?.to).toBe(TEST_NUMBER);
    expect(sms?.code).not.toBe(FIXED_CODE);
    expect((await c.start(TEST_NUMBER)).status).toBe(429);
    expect((await c.decisions()).map((d) => d.outcome).sort()).toEqual(['allowed', 'refused']);
    expect((await c.verify(started.body.challengeId, sms?.code as string)).body).toMatchObject({ isVerified: true });
  });

  it("keeps tenants apart: another tenant's challenge to the number is an ordinary one", async () => {
    await tenant((p) => p);
    const other = await tenant();
    expect((await other.start(TEST_NUMBER)).status).toBe(200);
    expect((await other.inbox()).map((m) => m.to)).toEqual([TEST_NUMBER]);
    expect((await other.decisions()).map((d) => d.outcome)).toEqual(['allowed']);
  });
});

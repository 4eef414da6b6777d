import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import type { SmsPolicy } from '../../src/modules/limits/policy.js';
import { limitBackends } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// biome-ignore lint/suspicious/noExplicitAny: error and success bodies have many shapes; tests read fields.
type Reply = { status: number; retryAfter: string | null; body: any };

const NUMBER = '+64211234567';
const DAY_S = 86_400;
const invalid = { isVerified: false, failureReason: 'CODE_INVALID_OR_EXPIRED' };

/** Challenges to one number may be started freely: these tests are about the guesses. */
const manySends = (p: SmsPolicy): SmsPolicy => ({
  ...p,
  sendingRateLimitConfigurations: [{ rateLimit: 1000, windowInMinutes: 60 }],
});

/** Guessing: the submission window, and the failure budget of consecutive wrong codes per number. */
describe.each(limitBackends)('code submissions ($name)', (backend) => {
  let t: TestServer;
  const clock = new ManualClock(Date.now());
  beforeAll(async () => {
    t = await startTestServer(backend, {}, { clock });
  });
  afterAll(() => t.close());

  async function pass(ms: number) {
    clock.advance(ms);
    if (backend.redis) await new Promise((resolve) => setTimeout(resolve, ms + 150));
  }
  /** Redis windows end by real time: there the windows that must end in a test are 3 s long. */
  const shortWindow = backend.redis ? 1 / 20 : 1;

  async function tenant(change?: (p: SmsPolicy) => SmsPolicy) {
    const { tenant } = await t.newTenant();
    if (change) await t.server.deps.smsPolicies.update(tenant.tenantId, change);
    const post = async (path: string, body: unknown): Promise<Reply> => {
      const res = await t.fetch(path, { method: 'POST', body: JSON.stringify(body), key: tenant.apiSecretKey });
      return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
    };
    /** Starts a challenge to `to` and returns its ID and code (from the dev inbox), or the refusal. */
    const start = async (to = NUMBER) => {
      const reply = await post('/challenge', { verificationMethod: 'SMS', action: 'signIn', phoneNumber: to });
      if (reply.status !== 200) return { reply, id: '', code: '' };
      const id = reply.body.challengeId as string;
      const row = await t.server.deps.db
        .selectFrom('dev_inbox')
        .select('body')
        .where('challenge_id', '=', id)
        .executeTakeFirstOrThrow();
      return { reply, id, code: /\b(\d{6})\b/.exec(row.body)?.[1] as string };
    };
    const verify = (id: string, code: string) => post('/verify', { challengeId: id, verificationCode: code });
    const wrong = (ch: { id: string; code: string }) => verify(ch.id, ch.code === '000000' ? '111111' : '000000');
    /** `n` wrong codes to the challenge, one after another; their answers. */
    const guess = async (ch: { id: string; code: string }, n: number) => {
      const replies: Reply[] = [];
      for (let i = 0; i < n; i++) replies.push(await wrong(ch));
      return replies;
    };
    const submissionDecisions = () =>
      t.server.deps.db
        .selectFrom('sms_decisions as d')
        .innerJoin('sms_decision_triggers as g', 'g.decision_id', 'd.id')
        .select(['d.kind', 'd.outcome', 'g.defence', 'g.mode'])
        .where('d.tenant_id', '=', tenant.tenantId)
        .where('d.kind', '=', 'submission')
        .execute();
    return { tenantId: tenant.tenantId, start, verify, guess, submissionDecisions };
  }
  const attemptsOf = async (id: string) =>
    (await t.server.deps.db.selectFrom('challenges').select('attempts').where('id', '=', id).executeTakeFirstOrThrow())
      .attempts;
  const bodies = (replies: Reply[]) => replies.map((r) => r.body);

  describe('submission_limit', () => {
    it('takes 10 codes per number in 10 minutes by default, across challenges, then refuses even the right one', async () => {
      const c = await tenant();
      const [a, b, d] = [await c.start(), await c.start(), await c.start()];
      const replies = [...(await c.guess(a, 4)), ...(await c.guess(b, 4)), ...(await c.guess(d, 2))];
      expect(bodies(replies)).toEqual(Array(10).fill(invalid));
      const refused = await c.verify(d.id, d.code);
      expect(refused.status).toBe(429);
      expect(refused.body).toEqual({
        error: 'too_many_requests',
        errorCode: 'too_many_requests',
        errorDescription: 'This number has reached its limit of 10 code submissions in 10 minutes. Try again later.',
      });
      if (backend.redis) expect(Number(refused.retryAfter)).toBeGreaterThan(590);
      else expect(refused.retryAfter).toBe('600');
      expect(await attemptsOf(d.id)).toBe(2); // refused before the code was compared or counted
    });

    it('does not spend the failure budget on submissions that the window refused', async () => {
      const c = await tenant((p) => ({
        ...manySends(p),
        submissionRateLimitConfiguration: { rateLimit: 2, windowInMinutes: 10 },
        failureBudget: { maxConsecutiveFailures: 3, lockoutMinutes: 60 },
      }));
      const a = await c.start();
      const replies = await c.guess(a, 6);
      expect(replies.map((r) => r.status)).toEqual([200, 200, 429, 429, 429, 429]);
      // Two wrong codes were compared; four were refused before comparison and are no failures, so the
      // failure budget (3) is not spent and a new challenge for the number is still sent.
      expect((await c.start()).reply.status).toBe(200);
    });

    it('takes codes again once the window has passed', async () => {
      const c = await tenant((p) => ({
        ...p,
        submissionRateLimitConfiguration: { rateLimit: 2, windowInMinutes: shortWindow },
      }));
      const ch = await c.start();
      expect((await c.guess(ch, 3)).map((r) => r.status)).toEqual([200, 200, 429]);
      await pass(shortWindow * 60_000 + 1);
      expect((await c.verify(ch.id, ch.code)).body).toMatchObject({ isVerified: true });
    });

    it('in record_only, compares every code and records the submissions past the limit', async () => {
      const c = await tenant((p) => ({
        ...p,
        submissionRateLimitConfiguration: { rateLimit: 1, windowInMinutes: 10 },
        modes: { ...p.modes, submission_limit: 'record_only' },
      }));
      const ch = await c.start();
      expect(bodies(await c.guess(ch, 2))).toEqual([invalid, invalid]);
      expect((await c.verify(ch.id, ch.code)).body).toMatchObject({ isVerified: true });
      expect(await c.submissionDecisions()).toEqual([
        { kind: 'submission', outcome: 'allowed', defence: 'submission_limit', mode: 'record_only' },
        { kind: 'submission', outcome: 'allowed', defence: 'submission_limit', mode: 'record_only' },
      ]);
    });

    it("keeps tenants apart: one tenant's submissions do not count for another's challenge to the number", async () => {
      const limited = (p: SmsPolicy) => ({
        ...p,
        submissionRateLimitConfiguration: { rateLimit: 1, windowInMinutes: 10 },
      });
      const [a, b] = [await tenant(limited), await tenant(limited)];
      const [chA, chB] = [await a.start(), await b.start()];
      expect((await a.guess(chA, 2)).map((r) => r.status)).toEqual([200, 429]);
      expect((await b.verify(chB.id, chB.code)).body).toMatchObject({ isVerified: true });
    });
  });

  describe('failure_budget', () => {
    it('locks a number after 100 wrong codes in a row across its challenges, for challenges and verifications', async () => {
      const c = await tenant((p) => ({ ...manySends(p), modes: { ...p.modes, submission_limit: 'off' } }));
      // New challenges do not reset the run: 19 of them, five wrong codes each (their own budget)...
      for (let i = 0; i < 19; i++) {
        const ch = await c.start();
        expect(ch.reply.status).toBe(200);
        expect(bodies(await c.guess(ch, 5))).toEqual(Array(5).fill(invalid));
      }
      // ...and two more, started before the 100th wrong code.
      const [last, open] = [await c.start(), await c.start()];
      expect(bodies(await c.guess(last, 5))).toEqual(Array(5).fill(invalid));

      const verification = await c.verify(open.id, open.code);
      expect(verification.status).toBe(429);
      expect(verification.body.errorDescription).toBe(
        'This number has had 100 wrong codes in a row; it is locked for up to 1440 minutes. Try again later.',
      );
      expect(await attemptsOf(open.id)).toBe(0);
      const challenge = (await c.start()).reply;
      expect(challenge.status).toBe(429);
      expect(challenge.body.errorDescription).toBe(
        'This number has had 100 wrong codes in a row; it is locked. Try again later.',
      );
      for (const reply of [verification, challenge]) {
        if (backend.redis) expect(Number(reply.retryAfter)).toBeGreaterThan(DAY_S - 60);
        else expect(reply.retryAfter).toBe(String(DAY_S));
      }
      // Another number of the tenant is not locked.
      expect((await c.start('+64211234568')).reply.status).toBe(200);

      // The lockout is 1440 minutes from the first wrong code: only the ManualClock can end it in a test.
      if (!backend.redis) {
        clock.advance(DAY_S * 1000 + 1);
        const again = await c.start();
        expect(again.reply.status).toBe(200);
        expect((await c.verify(again.id, again.code)).body).toMatchObject({ isVerified: true });
      }
    });

    it('ends the run with a right code, and a new challenge does not', async () => {
      const budget = (p: SmsPolicy) => ({
        ...manySends(p),
        failureBudget: { ...p.failureBudget, maxConsecutiveFailures: 6 },
        modes: { ...p.modes, submission_limit: 'off' as const },
      });
      const c = await tenant(budget);
      const first = await c.start();
      await c.guess(first, 3);
      const second = await c.start();
      await c.guess(second, 2);
      expect((await c.verify(second.id, second.code)).body).toMatchObject({ isVerified: true }); // the 6th
      // Six more wrong codes are compared: the count started again from the right one.
      const [third, fourth] = [await c.start(), await c.start()];
      expect(bodies([...(await c.guess(third, 5)), ...(await c.guess(fourth, 1))])).toEqual(Array(6).fill(invalid));
      expect((await c.guess(fourth, 1))[0]?.status).toBe(429);
      expect((await c.start()).reply.status).toBe(429);
    });

    it('opens the number again after lockoutMinutes', async () => {
      const lockoutMinutes = backend.redis ? 1 / 20 : 1440;
      const c = await tenant((p) => ({
        ...manySends(p),
        failureBudget: { maxConsecutiveFailures: 3, lockoutMinutes },
      }));
      const ch = await c.start();
      await c.guess(ch, 3);
      expect((await c.start()).reply.status).toBe(429);
      expect((await c.verify(ch.id, ch.code)).status).toBe(429);
      await pass(lockoutMinutes * 60_000 + 1);
      const again = await c.start();
      expect(again.reply.status).toBe(200);
      expect((await c.verify(again.id, again.code)).body).toMatchObject({ isVerified: true });
    });

    it('locks and resets with a lockoutMinutes that is no whole number of milliseconds in floating point', async () => {
      // 1.07 * 60_000 is 64200.00000000001: the counter that verify adds to and the one that challenge
      // peeks at and a right code resets must still be the same.
      const c = await tenant((p) => ({
        ...manySends(p),
        failureBudget: { maxConsecutiveFailures: 2, lockoutMinutes: 1.07 },
      }));
      const ch = await c.start();
      await c.guess(ch, 2);
      expect((await c.start()).reply.status).toBe(429);
      const other = await c.start('+64211234568');
      await c.guess(other, 1);
      expect((await c.verify(other.id, other.code)).body).toMatchObject({ isVerified: true });
      const next = await c.start('+64211234568');
      expect((await c.guess(next, 2)).map((r) => r.status)).toEqual([200, 200]);
    });

    it('in record_only, compares every code and records the lock on submissions and sends', async () => {
      const c = await tenant((p) => ({
        ...manySends(p),
        failureBudget: { ...p.failureBudget, maxConsecutiveFailures: 3 },
        modes: { ...p.modes, failure_budget: 'record_only' },
      }));
      const ch = await c.start();
      expect(bodies(await c.guess(ch, 5))).toEqual(Array(5).fill(invalid));
      const again = await c.start();
      expect(again.reply.status).toBe(200);
      expect((await c.verify(again.id, again.code)).body).toMatchObject({ isVerified: true });
      const fb = (await c.submissionDecisions()).filter((d) => d.defence === 'failure_budget');
      expect(fb).toEqual(
        Array(3).fill({ kind: 'submission', outcome: 'allowed', defence: 'failure_budget', mode: 'record_only' }),
      );
      const send = await t.server.deps.db
        .selectFrom('sms_decision_triggers')
        .innerJoin('sms_decisions', 'sms_decisions.id', 'sms_decision_triggers.decision_id')
        .select(['sms_decision_triggers.mode', 'sms_decisions.outcome'])
        .where('sms_decisions.tenant_id', '=', c.tenantId)
        .where('sms_decisions.kind', '=', 'send')
        .where('sms_decision_triggers.defence', '=', 'failure_budget')
        .execute();
      expect(send).toEqual([{ mode: 'record_only', outcome: 'allowed' }]);
    });

    it('keeps tenants apart: a number locked for one tenant is open for another', async () => {
      const budget = (p: SmsPolicy) => ({
        ...manySends(p),
        failureBudget: { ...p.failureBudget, maxConsecutiveFailures: 2 },
      });
      const [a, b] = [await tenant(budget), await tenant(budget)];
      await a.guess(await a.start(), 2);
      expect((await a.start()).reply.status).toBe(429);
      const ch = await b.start();
      expect(ch.reply.status).toBe(200);
      expect((await b.verify(ch.id, ch.code)).body).toMatchObject({ isVerified: true });
    });
  });
});

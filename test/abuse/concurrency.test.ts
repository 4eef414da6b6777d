import { VerificationMethod } from '@authsignal/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { type RunningServer, startServer } from '../../src/main.js';
import { counterKey } from '../../src/modules/limits/counters.js';
import type { SmsPolicy } from '../../src/modules/limits/policy.js';
import { limitBackends } from '../helpers/databases.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';

// biome-ignore lint/suspicious/noExplicitAny: error and success bodies have many shapes; tests read fields.
type Reply = { status: number; body: any };

const BURST = 200;

/** Counts the statuses of a burst; nothing hostile or concurrent may get a 5xx. */
function tally(replies: Reply[]) {
  const by = (s: number) => replies.filter((r) => r.status === s).length;
  expect(replies.filter((r) => r.status >= 500)).toEqual([]);
  return { ok: by(200), refused: by(429), other: replies.length - by(200) - by(429) };
}

/**
 * Every limit adds to its counter before it decides, in one atomic step: a burst, on one node or on two,
 * passes exactly the budget, never one more, on each backend of the counters.
 */
describe.each(limitBackends)('limits under concurrency ($name)', (backend) => {
  let t: TestServer;
  let other: RunningServer | undefined;
  beforeAll(async () => {
    t = await startTestServer(backend);
    // A second node on the same database (and Redis): only PostgreSQL serves several processes. Nodes
    // behind one load balancer share the public URL, which is also the tokens' issuer.
    if (!backend.name.startsWith('sqlite')) {
      other = await startServer(
        loadConfig({
          ...t.cliEnv,
          PORT: '0',
          SIGIL_BOOTSTRAP_DEV_TENANT: 'false',
          SIGIL_PUBLIC_URL: t.server.deps.publicUrls.base,
        }),
      );
    }
  });
  afterAll(async () => {
    await other?.close();
    await t.close();
  });

  async function tenant(change?: (p: SmsPolicy) => SmsPolicy) {
    const { tenant, sdk } = await t.newTenant();
    if (change) await t.server.deps.smsPolicies.update(tenant.tenantId, change);
    const auth = `Basic ${Buffer.from(`${tenant.apiSecretKey}:`).toString('base64')}`;
    /** A Server API call to node 0 (the test server) or node 1 (the second one). */
    const post = async (path: string, body: unknown, node = 0): Promise<Reply> => {
      const base = node === 1 && other ? other.url : t.server.url;
      const res = await fetch(`${base}/v1${path}`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    };
    const start = (body: Record<string, unknown>, node = 0) =>
      post('/challenge', { verificationMethod: 'SMS', action: 'signIn', ...body }, node);
    const sms = async (to?: string) => {
      let q = t.server.deps.db.selectFrom('dev_inbox').select('id').where('tenant_id', '=', tenant.tenantId);
      if (to) q = q.where('to', '=', to);
      return (await q.execute()).length;
    };
    /** `n` challenges to `to`, one after another, with their codes. */
    const challenges = async (to: string, n: number) => {
      const made: { id: string; code: string }[] = [];
      for (let i = 0; i < n; i++) {
        const reply = await start({ phoneNumber: to });
        expect(reply.status).toBe(200);
        const id = reply.body.challengeId as string;
        const row = await t.server.deps.db
          .selectFrom('dev_inbox')
          .select('body')
          .where('challenge_id', '=', id)
          .executeTakeFirstOrThrow();
        made.push({ id, code: /\b(\d{6})\b/.exec(row.body)?.[1] as string });
      }
      return made;
    };
    return { tenantId: tenant.tenantId, sdk, post, start, sms, challenges };
  }
  const wrongFor = (code: string) => (code === '000000' ? '111111' : '000000');

  it(`passes exactly the per-number budget of ${BURST} simultaneous challenges to one number`, async () => {
    const c = await tenant();
    const to = phone();
    const replies = await Promise.all(Array.from({ length: BURST }, () => c.start({ phoneNumber: to })));
    // The default's smallest window: 5 codes per number in 10 minutes.
    expect(tally(replies)).toEqual({ ok: 5, refused: BURST - 5, other: 0 });
    expect(await c.sms(to)).toBe(5);
    const decisions = await t.server.deps.db
      .selectFrom('sms_decisions')
      .select('outcome')
      .where('tenant_id', '=', c.tenantId)
      .execute();
    expect(decisions.filter((d) => d.outcome === 'refused')).toHaveLength(BURST - 5);
  });

  it(`counts every one of ${BURST} simultaneous wrong codes across challenges of one number`, async () => {
    const c = await tenant((p) => ({
      ...p,
      sendingRateLimitConfigurations: [{ rateLimit: 1000, windowInMinutes: 60 }],
      submissionRateLimitConfiguration: { rateLimit: 1000, windowInMinutes: 10 },
      failureBudget: { ...p.failureBudget, maxConsecutiveFailures: 150 },
    }));
    const to = phone();
    const made = await c.challenges(to, BURST / 5); // five guesses each: every challenge's own budget
    const replies = await Promise.all(
      made.flatMap((ch) =>
        Array.from({ length: 5 }, () => c.post('/verify', { challengeId: ch.id, verificationCode: wrongFor(ch.code) })),
      ),
    );
    expect(tally(replies)).toEqual({ ok: 150, refused: BURST - 150, other: 0 });
    expect(replies.filter((r) => r.body.failureReason === 'CODE_INVALID_OR_EXPIRED')).toHaveLength(150);
    // Every submission was reserved, refused or not; only the 150 that passed were compared.
    const failures = await t.server.deps.counters.peek(counterKey(['fail', c.tenantId, to], 1440 * 60_000));
    expect(failures?.count).toBe(BURST);
    const rows = await t.server.deps.db
      .selectFrom('challenges')
      .select('attempts')
      .where('tenant_id', '=', c.tenantId)
      .execute();
    expect(rows.reduce((sum, r) => sum + r.attempts, 0)).toBe(150);
  });

  it('passes at most the budget of a Client API burst for one token and number', async () => {
    const c = await tenant();
    const to = phone();
    await c.sdk.enrollVerifiedAuthenticator({
      userId: 'burst',
      attributes: { verificationMethod: VerificationMethod.SMS, phoneNumber: to },
    });
    const tracked = await c.post('/users/burst/actions/signIn', {});
    const replies = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const res = await fetch(`${t.apiUrl}/client/challenge/sms`, {
          method: 'POST',
          headers: { authorization: `Bearer ${tracked.body.token}`, 'content-type': 'application/json' },
          body: '{}',
        });
        return { status: res.status, body: await res.json() };
      }),
    );
    const { ok, refused, other: others } = tally(replies);
    expect(ok).toBe(5);
    expect(refused + others).toBe(45);
    expect(replies.filter((r) => r.status !== 200).every((r) => r.status >= 400 && r.status < 500)).toBe(true);
    expect(await c.sms(to)).toBe(5);
  });

  /**
   * Each limit, split across two nodes: 40 simultaneous requests, 20 to each, against a budget of 7. The
   * same tenant reads its policy on both nodes; nothing is counted in a process.
   */
  describe.skipIf(backend.name.startsWith('sqlite'))('on two nodes', () => {
    const BUDGET = 7;
    const N = 40;
    const window = { rateLimit: BUDGET, windowInMinutes: 60 };
    const split = <T>(make: (i: number, node: number) => Promise<T>) =>
      Promise.all(Array.from({ length: N }, (_, i) => make(i, i % 2)));

    it('shares the per-number, per-user, per-tenant and per-prefix send budgets', async () => {
      const cases: [string, (p: SmsPolicy) => SmsPolicy, (i: number) => Record<string, unknown>][] = [
        [
          'number',
          (p) => ({ ...p, sendingRateLimitConfigurations: [window] }),
          () => ({ phoneNumber: '+64211230000' }),
        ],
        [
          'user',
          (p) => ({ ...p, userRateLimitConfigurations: [window] }),
          () => ({ userId: 'u', phoneNumber: phone() }),
        ],
        ['tenant', (p) => ({ ...p, tenantDailyLimit: BUDGET }), () => ({ phoneNumber: phone() })],
        [
          'prefix',
          (p) => ({
            ...p,
            prefixRateLimitConfigurations: [{ enabled: true, blockSize: 7, countryCodes: [], ...window }],
          }),
          (i) => ({ phoneNumber: `+6421123${String(i).padStart(4, '0')}` }),
        ],
      ];
      for (const [name, set, body] of cases) {
        const c = await tenant(set);
        const replies = await split((i, node) => c.start(body(i), node));
        expect({ name, ...tally(replies) }).toEqual({ name, ok: BUDGET, refused: N - BUDGET, other: 0 });
        expect(await c.sms()).toBe(BUDGET);
      }
    });

    it('shares the per-IP budget of tracked actions', async () => {
      const c = await tenant((p) => ({ ...p, ipRateLimitConfigurations: [window] }));
      const keys: string[] = [];
      for (let i = 0; i < N; i++) {
        keys.push((await c.post(`/users/ip-${i}/actions/signIn`, { ipAddress: '203.0.113.9' })).body.idempotencyKey);
      }
      const replies = await split((i, node) => c.start({ idempotencyKey: keys[i], phoneNumber: phone() }, node));
      expect(tally(replies)).toEqual({ ok: BUDGET, refused: N - BUDGET, other: 0 });
    });

    it('shares the submission window and the failure budget', async () => {
      for (const set of [
        (p: SmsPolicy) => ({ ...p, submissionRateLimitConfiguration: { rateLimit: BUDGET, windowInMinutes: 10 } }),
        (p: SmsPolicy) => ({
          ...p,
          submissionRateLimitConfiguration: { rateLimit: 1000, windowInMinutes: 10 },
          failureBudget: { ...p.failureBudget, maxConsecutiveFailures: BUDGET },
        }),
      ]) {
        const c = await tenant((p) => ({
          ...set(p),
          sendingRateLimitConfigurations: [{ rateLimit: 1000, windowInMinutes: 60 }],
        }));
        const made = await c.challenges(phone(), N / 5);
        const replies = await split((i, node) => {
          const ch = made[Math.floor(i / 5)] as { id: string; code: string };
          return c.post('/verify', { challengeId: ch.id, verificationCode: wrongFor(ch.code) }, node);
        });
        expect(tally(replies)).toEqual({ ok: BUDGET, refused: N - BUDGET, other: 0 });
      }
    });
  });
});

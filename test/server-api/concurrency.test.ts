import { VerificationMethod } from '@authsignal/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases } from '../helpers/databases.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';

const SMS = VerificationMethod.SMS;

/** 50 verifications of one challenge at once, over real HTTP, against each database. */
describe.each(databases)('concurrent verification of one challenge ($name)', (db) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(db);
    // These tests are about one challenge's own budget; the number's submission window (10 per 10
    // minutes by default) would refuse most of 50 guesses first (test/abuse/ covers that limit).
    await t.server.deps.smsPolicies.update(t.tenant.tenantId, (p) => ({
      ...p,
      submissionRateLimitConfiguration: { rateLimit: 100, windowInMinutes: 10 },
    }));
  });
  afterAll(() => t.close());

  const attemptsOf = async (challengeId: string) =>
    (
      await t.server.deps.db
        .selectFrom('challenges')
        .select('attempts')
        .where('id', '=', challengeId)
        .executeTakeFirstOrThrow()
    ).attempts;

  it('accepts the right code exactly once out of 50 simultaneous verifications', async () => {
    const to = phone();
    const { challengeId } = await t.sdk.challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: to });
    const code = await t.lastCode(to);
    const results = await Promise.all(
      Array.from({ length: 50 }, () => t.sdk.verify({ challengeId, verificationCode: code })),
    );
    expect(results.filter((r) => r.isVerified)).toHaveLength(1);
    expect(results.filter((r) => !r.isVerified).every((r) => r.failureReason !== undefined)).toBe(true);
  });

  it('counts every one of 50 simultaneous wrong guesses, with no lost update', async () => {
    const to = phone();
    const { challengeId } = await t.sdk.challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: to });
    const code = await t.lastCode(to);
    const wrong = code === '000000' ? '111111' : '000000';
    const results = await Promise.all(
      Array.from({ length: 50 }, () => t.sdk.verify({ challengeId, verificationCode: wrong })),
    );
    expect(await attemptsOf(challengeId)).toBe(50);
    // The first five guesses were compared; the other 45 were over the budget.
    expect(results.filter((r) => r.failureReason === 'CODE_INVALID_OR_EXPIRED')).toHaveLength(5);
    expect(results.filter((r) => r.failureReason === 'MAX_ATTEMPTS_EXCEEDED')).toHaveLength(45);
    expect((await t.sdk.verify({ challengeId, verificationCode: code })).isVerified).toBe(false);
  });

  it('starts 10 simultaneous challenges with one new idempotencyKey without a server error', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () =>
        t.sdk.challenge({
          verificationMethod: SMS,
          action: 'signIn',
          phoneNumber: phone(),
          idempotencyKey: 'shared-key',
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    const actions = await t.server.deps.db
      .selectFrom('actions')
      .selectAll()
      .where('idempotency_key', '=', 'shared-key')
      .execute();
    expect(actions).toHaveLength(1);
  });

  it('lets exactly one of 20 simultaneous claims win', async () => {
    const to = phone();
    const { challengeId } = await t.sdk.challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: to });
    await t.sdk.verify({ challengeId, verificationCode: await t.lastCode(to) });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => t.sdk.claimChallenge({ challengeId, userId: `racer-${i}` })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });
});

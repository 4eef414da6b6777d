import { randomBytes } from 'node:crypto';
import { Authsignal, AuthsignalError, VerificationMethod } from '@authsignal/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import { BLOCK_LENGTHS_MS } from '../../src/modules/limits/adaptive.js';
import type { Mode, SmsPolicy } from '../../src/modules/limits/policy.js';
import type { CreatedTenant } from '../../src/modules/tenants/service.js';
import { databases, postgres, type TestDatabase } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** The default adaptivePrefixBlocking.judgeAfterMinutes (2), in ms: a prefix is judged once its window is this old. */
const JUDGE_AFTER_MS = 2 * 60_000;

const SMS = VerificationMethod.SMS;
/** Small, so that a block is reached in a few sends; the tenant is new, so its baseline is the default. */
const MIN_SENDS = 5;

type Sent = { sent: true; challengeId: string } | { sent: false; description: string; retryAfter: number };

/** One challenge through the SDK: the challenge, or the 429's description and Retry-After. */
async function send(sdk: Authsignal, phoneNumber: string): Promise<Sent> {
  try {
    const { challengeId } = await sdk.challenge({ verificationMethod: SMS, action: 'signIn', phoneNumber });
    return { sent: true, challengeId };
  } catch (err) {
    if (!(err instanceof AuthsignalError) || err.statusCode !== 429) throw err;
    const retryAfter = Number(err.axiosError?.response?.headers['retry-after']);
    return { sent: false, description: err.errorDescription ?? '', retryAfter };
  }
}

/** Distinct numbers across the file: the per-number limits must never be what refuses. */
let serial = 0;
const next = (prefix: string) => `${prefix}${String(++serial).padStart(7, '0')}`;

describe.each(databases)('adaptive prefix blocking ($name)', (db) => {
  let t: TestServer;
  const clock = new ManualClock(Date.now());
  beforeAll(async () => {
    t = await startTestServer(db, {}, { clock });
  });
  afterAll(() => t.close());

  async function tenant(mode: Mode, change: Partial<SmsPolicy> = {}) {
    const created = await t.newTenant('adaptive');
    await t.server.deps.smsPolicies.update(created.tenant.tenantId, (p) => ({
      ...p,
      ...change,
      adaptivePrefixBlocking: { minSends: MIN_SENDS, conversionRatio: 0.25, judgeAfterMinutes: 2 },
      modes: { ...p.modes, adaptive_prefix: mode },
    }));
    return created;
  }

  /** Sends to fresh numbers of the prefix until one is refused; the outcomes in order. */
  async function sendsUntilRefused(sdk: Authsignal, prefix: string, max = 20): Promise<Sent[]> {
    const outcomes: Sent[] = [];
    for (let i = 0; i < max; i++) {
      const outcome = await send(sdk, next(prefix));
      outcomes.push(outcome);
      if (!outcome.sent) break;
      // A prefix is judged once its window has run for JUDGE_AFTER_MS (a no-op if it has already).
      if (i === 0) clock.advance(JUDGE_AFTER_MS);
    }
    return outcomes;
  }

  async function signIn(sdk: Authsignal, to: string) {
    const { challengeId } = await sdk.challenge({ verificationMethod: SMS, action: 'signIn', phoneNumber: to });
    return sdk.verify({ challengeId, verificationCode: await t.lastCode(to) });
  }

  async function report(created: CreatedTenant, query = '') {
    const res = await fetch(`${t.apiUrl}/management/sms-defences/report${query}`, {
      headers: { authorization: `Basic ${Buffer.from(`${created.managementSecretKey}:`).toString('base64')}` },
    });
    return { status: res.status, body: await res.json() };
  }

  it('blocks a prefix with many sends and no verifications at the threshold, naming the prefix', async () => {
    const { tenant: created, sdk } = await tenant('enforce');
    const outcomes = await sendsUntilRefused(sdk, '+6429');
    expect(outcomes.filter((o) => o.sent)).toHaveLength(MIN_SENDS - 1);
    expect(outcomes.at(-1)).toMatchObject({
      sent: false,
      retryAfter: BLOCK_LENGTHS_MS[0] / 1000,
      description: expect.stringMatching(/^Codes to numbers starting \+6429 are paused: many were sent and few/),
    });
    // Every later send to the prefix is refused while the block lasts, and gets no text.
    const blocked = next('+6429');
    expect(await send(sdk, blocked)).toMatchObject({ sent: false });
    await expect(t.lastCode(blocked)).rejects.toThrow(/No code was sent/);
    const { body } = await report(created);
    expect(body.defences).toContainEqual({
      defence: 'adaptive_prefix',
      mode: 'enforce',
      refused: 2,
      wouldRefuse: 0,
      laterVerified: 0,
    });
  });

  it('does not block a prefix whose codes are verified, however many are sent', async () => {
    const { sdk } = await tenant('enforce');
    for (let i = 0; i < MIN_SENDS * 2; i++) {
      expect(await signIn(sdk, next('+6421'))).toMatchObject({ isVerified: true });
    }
    // The same tenant still blocks a prefix that does not convert.
    expect((await sendsUntilRefused(sdk, '+6428')).filter((o) => o.sent)).toHaveLength(MIN_SENDS - 1);
  });

  it('lifts a block after its time and blocks for longer each time it recurs', async () => {
    const { sdk } = await tenant('enforce');
    for (const length of [...BLOCK_LENGTHS_MS, BLOCK_LENGTHS_MS[3]]) {
      const outcomes = await sendsUntilRefused(sdk, '+6429');
      expect(outcomes.at(-1)).toMatchObject({ sent: false, retryAfter: length / 1000 });
      clock.advance(length - 1_000);
      expect(await send(sdk, next('+6429'))).toMatchObject({ sent: false, retryAfter: 1 });
      clock.advance(1_000);
      const after = next('+6429');
      expect(await send(sdk, after)).toMatchObject({ sent: true });
      expect(await t.lastCode(after)).toMatch(/^\d{6}$/);
    }
  });

  it('never blocks a safe-listed prefix or number', async () => {
    const listed = next('+6428');
    const { sdk } = await tenant('enforce', { safeList: ['+6429', listed] });
    for (let i = 0; i < MIN_SENDS * 2; i++) expect(await send(sdk, next('+6429'))).toMatchObject({ sent: true });
    const outcomes = await sendsUntilRefused(sdk, '+6428');
    expect(outcomes.at(-1)).toMatchObject({ sent: false });
    expect(await send(sdk, listed)).toMatchObject({ sent: true });
    expect(await send(sdk, next('+6428'))).toMatchObject({ sent: false });
  });

  it('in record_only refuses nothing, and the report counts what it would have refused', async () => {
    const { tenant: created, sdk } = await tenant('record_only');
    const numbers = Array.from({ length: MIN_SENDS + 3 }, () => next('+6429'));
    const challenges: string[] = [];
    for (const to of numbers) {
      const outcome = await send(sdk, to);
      if (!outcome.sent) throw new Error(`record_only refused ${to}`);
      if (challenges.length === 0) clock.advance(JUDGE_AFTER_MS); // old enough to be judged from now on
      challenges.push(outcome.challengeId);
      expect(await t.lastCode(to)).toMatch(/^\d{6}$/);
    }
    // One of the would-refuse sends reached a person, who verified: that is what enforcing would cost.
    const verifiedIndex = MIN_SENDS + 1;
    const verificationCode = await t.lastCode(numbers[verifiedIndex] as string);
    expect(await sdk.verify({ challengeId: challenges[verifiedIndex] as string, verificationCode })).toMatchObject({
      isVerified: true,
    });

    const { status, body } = await report(created);
    expect(status).toBe(200);
    expect(body.days).toBe(7);
    expect(body.defences).toEqual([
      { defence: 'adaptive_prefix', mode: 'record_only', refused: 0, wouldRefuse: 4, laterVerified: 1 },
    ]);
    expect(body.summaries).toContainEqual({
      defence: 'adaptive_prefix',
      mode: 'record_only',
      summary: 'In the last 7 days this setting would have refused 4 sends, 1 of which later verified.',
    });

    const log = await fetch(`${t.apiUrl}/management/sms-decisions?challengeId=${challenges[verifiedIndex]}&limit=5`, {
      headers: { authorization: `Basic ${Buffer.from(`${created.managementSecretKey}:`).toString('base64')}` },
    });
    const { decisions } = await log.json();
    expect(decisions).toEqual([
      expect.objectContaining({
        kind: 'send',
        outcome: 'allowed',
        defence: 'adaptive_prefix',
        phoneNumber: numbers[verifiedIndex],
        prefix: '6429',
        triggers: [{ defence: 'adaptive_prefix', mode: 'record_only', retryAfterMs: expect.any(Number) }],
      }),
    ]);
    expect(decisions[0].triggers[0].retryAfterMs).toBeGreaterThan(0);

    for (const query of ['?days=0', '?days=91', '?days=seven']) expect((await report(created, query)).status).toBe(400);
    expect((await report(created, '?days=90')).body.days).toBe(90);
  });

  it('keeps tenants apart: one tenant blocking a prefix does not block another', async () => {
    const a = await tenant('enforce');
    const b = await tenant('enforce');
    expect((await sendsUntilRefused(a.sdk, '+6429')).at(-1)).toMatchObject({ sent: false });
    for (let i = 0; i < MIN_SENDS - 2; i++) expect(await send(b.sdk, next('+6429'))).toMatchObject({ sent: true });
    // B's verifications keep its own prefix open, and do not lift A's block.
    for (let i = 0; i < 2; i++) expect(await signIn(b.sdk, next('+6429'))).toMatchObject({ isVerified: true });
    expect(await send(a.sdk, next('+6429'))).toMatchObject({ sent: false });
  });
});

/** Two nodes on one PostgreSQL database, their counters there or in a shared Redis: a block is seen by both. */
const redisUrl = process.env.SIGIL_TEST_REDIS_URL;
const nodeSetups: { name: string; env: Record<string, string> }[] = [
  { name: 'database counters', env: {} },
  ...(redisUrl ? [{ name: 'Redis counters', env: { REDIS_URL: redisUrl } }] : []),
];
describe.runIf(postgres).each(nodeSetups)('adaptive prefix blocking across two nodes ($name)', ({ env }) => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    const shared = { ...env, SIGIL_REDIS_KEY_PREFIX: `sigil-test-${randomBytes(6).toString('hex')}` };
    a = await startTestServer(postgres as TestDatabase, shared);
    b = await startTestServer(postgres as TestDatabase, {
      ...shared,
      SIGIL_DATABASE_SCHEMA: a.server.deps.config.databaseSchema as string,
      SIGIL_MASTER_KEY: a.cliEnv.SIGIL_MASTER_KEY as string,
    });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('refuses on one node the prefix that the other node blocked', async () => {
    const id = a.tenant.tenantId;
    await a.server.deps.smsPolicies.update(id, (p) => ({
      ...p,
      // These two nodes keep real time (and Redis its own), which a test cannot move: judge at once.
      adaptivePrefixBlocking: { minSends: MIN_SENDS, conversionRatio: 0.25, judgeAfterMinutes: 0 },
      modes: { ...p.modes, adaptive_prefix: 'enforce' },
    }));
    const onB = new Authsignal({ apiSecretKey: a.tenant.apiSecretKey, apiUrl: b.apiUrl, retries: 0 });
    // Sends alternate between the nodes; the threshold is reached on their sum.
    const outcomes: Sent[] = [];
    for (let i = 0; i < MIN_SENDS; i++) outcomes.push(await send(i % 2 === 0 ? a.sdk : onB, next('+6429')));
    expect(outcomes.map((o) => o.sent)).toEqual([true, true, true, true, false]);
    expect(await send(onB, next('+6429'))).toMatchObject({ sent: false, description: expect.stringMatching(/\+6429/) });
    expect(await send(a.sdk, next('+6429'))).toMatchObject({ sent: false });
  });
});

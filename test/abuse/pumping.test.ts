import { type Authsignal, AuthsignalError, VerificationMethod } from '@authsignal/node';
import { parsePhoneNumber } from 'libphonenumber-js/max';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import { defaultPolicy, type Mode } from '../../src/modules/limits/policy.js';
import type { CreatedTenant } from '../../src/modules/tenants/service.js';
import { databases } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** The default adaptivePrefixBlocking.judgeAfterMinutes (2), in ms: a prefix is judged once its window is this old. */
const JUDGE_AFTER_MS = 2 * 60_000;

/**
 * A simulated SMS pumping attack, bounded and on loopback. A bot asks for codes to sequential numbers in
 * two premium-rate prefixes (UK 0909 and 0911, where each text earns the number's owner money) and two
 * mobile prefixes that no real user of the tenant has, from rotating IPs so that no per-IP limit catches
 * it, and never verifies one. Meanwhile real users sign in to other prefixes. The clock stands still, so
 * the hourly windows and the blocks cannot end mid-run and every figure is exact.
 */
const PREMIUM = ['+44909', '+44911'];
const UNUSED = ['+4474', '+4475'];
const LEGIT = ['+6421', '+6422', '+6141', '+4479'];
const ROUNDS = 40;
/** Each of them sends ROUNDS × 4 / 16 = 10 codes, a third of the per-IP limit (30 an hour). */
const BOT_IPS = 16;
const SMS = VerificationMethod.SMS;

const { minSends } = defaultPolicy().adaptivePrefixBlocking;
/** The legitimate sign-ins: one every other round. */
const SIGN_INS = ROUNDS / 2;
/** A prefix is judged from this many sends in its hour (adaptive.ts: max(minSends, 0.2 × verified in 24 h)). */
const THRESHOLD = Math.max(minSends, 0.2 * SIGN_INS);

/** The i-th number of `prefix` in a run, as long as the country's numbers are (GB 12 digits, NZ and AU 11). */
const numberOf = (prefix: string, run: number, i: number) => {
  const length = prefix.startsWith('+44') ? 13 : 12;
  return `${prefix}${String(run * 1_000 + i).padStart(length - prefix.length, '0')}`;
};

interface DefenceRow {
  defence: string;
  mode: string;
  refused: number;
  wouldRefuse: number;
  laterVerified: number;
}

interface Result {
  /** Codes that reached the bot's numbers, by prefix. */
  textsTo: Record<string, number>;
  signIns: { attempted: number; verified: number };
}

describe.each(databases)('an SMS pumping attack ($name)', (db) => {
  let t: TestServer;
  let run = 0;
  const clock = new ManualClock(Date.now());
  beforeAll(async () => {
    t = await startTestServer(db, {}, { clock });
  });
  afterAll(() => t.close());

  async function tenantWith(modes: { line_type: Mode; adaptive_prefix: Mode }) {
    const created = await t.newTenant('pumped');
    await t.server.deps.smsPolicies.update(created.tenant.tenantId, (p) => ({ ...p, modes: { ...p.modes, ...modes } }));
    return created;
  }

  /** A challenge for a tracked action, so that the IP given to track is the one counted (initiate.ts). */
  async function challenge(sdk: Authsignal, userId: string, ipAddress: string, phoneNumber: string) {
    const { idempotencyKey } = await sdk.track({ userId, action: 'signUp', attributes: { ipAddress } });
    return sdk.challenge({ verificationMethod: SMS, action: 'signUp', idempotencyKey, userId, phoneNumber });
  }

  /**
   * Round by round: the bot's four sends and a sign-in at the same time. Each prefix sees its sends one
   * after another, so the figures do not depend on how the requests interleave.
   */
  async function simulate(sdk: Authsignal, tenantId: string): Promise<Result> {
    run += 1;
    const botPrefixes = [...PREMIUM, ...UNUSED];
    const signIns = { attempted: 0, verified: 0 };
    let botSends = 0;
    const botSend = async (prefix: string, round: number) => {
      botSends += 1;
      const ip = `203.0.113.${(botSends % BOT_IPS) + 1}`;
      await challenge(sdk, `bot-${run}-${botSends}`, ip, numberOf(prefix, run, round)).catch((err) => {
        if (!(err instanceof AuthsignalError && err.statusCode === 429)) throw err;
      });
    };
    const signIn = async (round: number) => {
      const to = numberOf(LEGIT[signIns.attempted % LEGIT.length] as string, run, round);
      signIns.attempted += 1;
      const started = await challenge(sdk, `user-${run}-${round}`, `192.0.2.${round + 1}`, to);
      const verified = await sdk.verify({ challengeId: started.challengeId, verificationCode: await t.lastCode(to) });
      if (verified.isVerified) signIns.verified += 1;
    };
    for (let round = 0; round < ROUNDS; round++) {
      await Promise.all([
        ...botPrefixes.map((prefix) => botSend(prefix, round)),
        ...(round % 2 === 0 ? [signIn(round)] : []),
      ]);
      // Every prefix's window started in round 0; from round 1 on it is old enough to be judged.
      if (round === 0) clock.advance(JUDGE_AFTER_MS);
    }
    const rows = await t.server.deps.db
      .selectFrom('dev_inbox')
      .select('to')
      .where('tenant_id', '=', tenantId)
      .execute();
    const textsTo = Object.fromEntries(
      botPrefixes.map((prefix) => [prefix, rows.filter((r) => r.to.startsWith(prefix)).length]),
    );
    return { textsTo, signIns };
  }

  async function management<T>(created: CreatedTenant, path: string): Promise<T> {
    const res = await fetch(`${t.apiUrl}/management${path}`, {
      headers: { authorization: `Basic ${Buffer.from(`${created.managementSecretKey}:`).toString('base64')}` },
    });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  }

  /** The report's row of one defence. */
  async function report(created: CreatedTenant) {
    const body = await management<{ defences: DefenceRow[] }>(created, '/sms-defences/report?days=1');
    return (defence: string) => body.defences.find((r) => r.defence === defence);
  }

  it('uses the numbers it says: premium-rate and possible mobile ones', () => {
    for (const prefix of PREMIUM) expect(parsePhoneNumber(numberOf(prefix, 1, 1)).getType()).toBe('PREMIUM_RATE');
    for (const prefix of [...UNUSED, ...LEGIT]) {
      const parsed = parsePhoneNumber(numberOf(prefix, 1, 1));
      expect(parsed.isPossible()).toBe(true);
      expect(parsed.getType()).toBe('MOBILE');
    }
  });

  let enforced: { row: Awaited<ReturnType<typeof report>> } | undefined;

  it('in enforce, lets the bot only a bounded number of texts through and every sign-in succeed', async () => {
    const created = await tenantWith({ line_type: 'enforce', adaptive_prefix: 'enforce' });
    const result = await simulate(created.sdk, created.tenant.tenantId);
    // Premium-rate numbers never get a text; an unused prefix gets texts until its THRESHOLD-th send.
    for (const prefix of PREMIUM) expect(result.textsTo[prefix]).toBe(0);
    for (const prefix of UNUSED) {
      expect(result.textsTo[prefix]).toBeLessThanOrEqual(THRESHOLD);
      expect(result.textsTo[prefix]).toBe(THRESHOLD - 1);
    }
    expect(result.signIns).toEqual({ attempted: SIGN_INS, verified: SIGN_INS });
    const row = await report(created.tenant);
    expect(row('line_type')).toMatchObject({ mode: 'enforce', refused: PREMIUM.length * ROUNDS });
    // From its THRESHOLD-th send on, each of the four bot prefixes is blocked (premium ones too).
    expect(row('adaptive_prefix')).toMatchObject({ mode: 'enforce', refused: 4 * (ROUNDS - THRESHOLD + 1) });
    // The rotation kept every IP under its limit: the bot's IPs were counted, and only the prefix caught it.
    expect(row('ip_limit')).toBeUndefined();
    const log = await management<{ decisions: { userId: string | null; ipAddress: string | null }[] }>(
      created.tenant,
      '/sms-decisions?limit=500',
    );
    const botIps = new Set(log.decisions.filter((d) => d.userId?.startsWith('bot-')).map((d) => d.ipAddress));
    expect(botIps.size).toBe(BOT_IPS);
    enforced = { row };
  });

  it('in record_only, refuses nothing and reports as "would refuse" what enforce refused', async () => {
    const created = await tenantWith({ line_type: 'record_only', adaptive_prefix: 'record_only' });
    const result = await simulate(created.sdk, created.tenant.tenantId);
    for (const prefix of [...PREMIUM, ...UNUSED]) expect(result.textsTo[prefix]).toBe(ROUNDS);
    expect(result.signIns).toEqual({ attempted: SIGN_INS, verified: SIGN_INS });
    const row = await report(created.tenant);
    if (!enforced) throw new Error('the enforce run must come first');
    for (const defence of ['line_type', 'adaptive_prefix']) {
      expect(row(defence)).toEqual({
        defence,
        mode: 'record_only',
        refused: 0,
        wouldRefuse: enforced.row(defence)?.refused,
        laterVerified: 0,
      });
    }
  });
});

/**
 * The guessing figure: how many codes an attacker can have compared for one phone number, under the
 * default policy, as fast as the API lets them. Starts Sigil in this process on a fresh SQLite file with
 * default settings and one tenant, then plays the attacker on the Server API (POST /v1/challenge for the
 * number, POST /v1/verify with random codes, a new challenge whenever one is spent):
 *
 *   1. for --seconds of real time, one request after another;
 *   2. for --seconds of real time, with --parallel requests in flight (one challenge pool, one number);
 *   3. for --days simulated days on a second server whose clock the attacker moves: whenever every request
 *      is refused, it waits (the clock jumps) for the shortest Retry-After it was given, as a patient bot would.
 *
 * It prints the codes compared (a 200 answer that compared the code) in each run, what refused the rest,
 * and the codes per day: measured in run 3, and extrapolated from runs 1 and 2 with the window that locked
 * the number. See docs/abuse-defence.md, "Guessing".
 *
 *   npx tsx bench/guessing.ts [--seconds 10] [--parallel 50] [--days 7]
 */
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { type Clock, ManualClock } from '../src/lib/clock.js';
import { type RunningServer, startServer } from '../src/main.js';
import type { SmsPolicy } from '../src/modules/limits/policy.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    parallel: { type: 'string', default: '50' },
    days: { type: 'string', default: '7' },
  },
});
const SECONDS = Number(values.seconds);
const PARALLEL = Number(values.parallel);
const DAYS = Number(values.days);
const DAY_MS = 86_400_000;

interface Target {
  server: RunningServer;
  auth: string;
  close(): Promise<void>;
}

/** Sigil with its defaults (development mode, the dev SMS provider) on a fresh SQLite file, and one tenant. */
async function target(clock?: Clock): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'sigil-guessing-'));
  const config = loadConfig({
    PORT: '0',
    DATABASE_URL: `sqlite:${join(dir, 'sigil.db')}`,
    SIGIL_DATA_DIR: dir,
    SIGIL_MASTER_KEY: randomBytes(32).toString('base64'),
    SIGIL_BOOTSTRAP_DEV_TENANT: 'false',
    SIGIL_DEV_SMS_LOG: 'false',
    LOG_LEVEL: 'silent',
  });
  const server = await startServer(config, clock ? { clock } : {});
  const tenant = await server.deps.tenantService.create('guessing');
  return {
    server,
    auth: `Basic ${Buffer.from(`${tenant.apiSecretKey}:`).toString('base64')}`,
    close: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface Tally {
  compared: number;
  guessed: number;
  requests: number;
  /** Refusals by their description, without the "Try again later." */
  refusals: Map<string, number>;
  lastRefusal?: { description: string; retryAfterS: number };
}

type Outcome = { kind: 'compared' } | { kind: 'refused'; retryAfterS: number };

interface OpenChallenge {
  id: string;
  /** Attempts the attacker has not used yet: it keeps count, so that no guess goes to a spent challenge. */
  left: number;
  expiresAtMs: number;
}

/**
 * The attacker: challenges for one number, random codes against an open challenge with attempts left, a new
 * challenge when none is left. `now` is the server's clock, so that no guess goes to an expired challenge.
 */
function attacker(t: Target, phoneNumber: string, tally: Tally, now: () => number) {
  const attempts = t.server.deps.config.otp.maxAttempts;
  let open: OpenChallenge[] = [];
  let starting: Promise<Outcome | undefined> | undefined;
  const post = async (path: string, body: unknown) => {
    tally.requests++;
    const res = await fetch(`${t.server.url}/v1${path}`, {
      method: 'POST',
      headers: { authorization: t.auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, retryAfter: Number(res.headers.get('retry-after') ?? 0), body: await res.json() };
  };
  const refused = (r: { status: number; retryAfter: number; body: { errorDescription?: string } }): Outcome => {
    if (r.status !== 429) throw new Error(`unexpected ${r.status}: ${JSON.stringify(r.body)}`);
    const description = (r.body.errorDescription ?? '').replace(/ Try again later\.$/, '');
    tally.refusals.set(description, (tally.refusals.get(description) ?? 0) + 1);
    tally.lastRefusal = { description, retryAfterS: r.retryAfter };
    return { kind: 'refused', retryAfterS: r.retryAfter };
  };
  /** One new challenge; concurrent workers share the one being started. */
  const start = () => {
    starting ??= post('/challenge', { verificationMethod: 'SMS', action: 'signIn', phoneNumber })
      .then((r) => {
        if (r.status !== 200) return refused(r);
        open.push({ id: r.body.challengeId as string, left: attempts, expiresAtMs: r.body.expiresAt * 1000 });
        return undefined;
      })
      .finally(() => {
        starting = undefined;
      });
    return starting;
  };
  /** One guess, after starting a challenge if none has attempts left. */
  return async function step(): Promise<Outcome> {
    for (;;) {
      open = open.filter((c) => c.expiresAtMs > now() && c.left > 0);
      const challenge = open[0];
      if (!challenge) {
        const refusal = await start();
        if (refusal) return refusal;
        continue;
      }
      challenge.left--;
      const guess = String(randomInt(1_000_000)).padStart(6, '0');
      const r = await post('/verify', { challengeId: challenge.id, verificationCode: guess });
      if (r.status !== 200) {
        challenge.left++; // refused before the code was compared or counted
        return refused(r);
      }
      if (r.body.failureReason === 'MAX_ATTEMPTS_EXCEEDED') throw new Error('a guess went to a spent challenge');
      tally.compared++;
      if (r.body.isVerified) {
        tally.guessed++;
        challenge.left = 0;
      }
      return { kind: 'compared' };
    }
  };
}

const newTally = (): Tally => ({ compared: 0, guessed: 0, requests: 0, refusals: new Map() });

/** Runs 1 and 2: as fast as the API answers, for SECONDS of real time. */
async function realTime(t: Target, phoneNumber: string, workers: number) {
  const tally = newTally();
  const step = attacker(t, phoneNumber, tally, () => Date.now());
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  let firstRefusalMs: number | undefined;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < deadline) {
        const outcome = await step();
        if (outcome.kind === 'refused') firstRefusalMs ??= performance.now() - started;
      }
    }),
  );
  return { tally, elapsedS: (performance.now() - started) / 1000, firstRefusalMs };
}

/** Run 3: simulated days; when refused, the attacker waits as long as Retry-After says, and no longer. */
async function simulated(t: Target, clock: ManualClock, phoneNumber: string) {
  const tally = newTally();
  const step = attacker(t, phoneNumber, tally, () => clock.now());
  const end = clock.now() + DAYS * DAY_MS;
  const perDay: number[] = [];
  let dayEnds = clock.now() + DAY_MS;
  let before = 0;
  while (clock.now() < end) {
    const outcome = await step();
    if (outcome.kind === 'refused') clock.advance(Math.max(1, outcome.retryAfterS) * 1000);
    while (clock.now() >= dayEnds && perDay.length < DAYS) {
      perDay.push(tally.compared - before);
      before = tally.compared;
      dayEnds += DAY_MS;
    }
  }
  return { tally, perDay };
}

function report(title: string, tally: Tally) {
  console.log(`\n${title}`);
  console.log(`  requests: ${tally.requests}, codes compared: ${tally.compared}, guessed right: ${tally.guessed}`);
  for (const [description, n] of [...tally.refusals].sort((a, b) => b[1] - a[1])) {
    console.log(`  refused ${n}×: ${description}`);
  }
}

/**
 * Codes per day at a run's pace: the codes it had compared, once per (its length + the wait it was told
 * last), and never more than the failure budget allows per lockout window.
 */
function extrapolate(run: Awaited<ReturnType<typeof realTime>>, failureBudget: SmsPolicy['failureBudget']) {
  const waitS = run.tally.lastRefusal?.retryAfterS ?? 0;
  const atPace = (run.tally.compared * 86_400) / (run.elapsedS + waitS);
  const cap = (failureBudget.maxConsecutiveFailures * 1440) / failureBudget.lockoutMinutes;
  const first =
    run.firstRefusalMs === undefined ? 'never refused' : `first refused after ${run.firstRefusalMs.toFixed(0)} ms`;
  console.log(
    `  ${run.tally.compared} compared in ${run.elapsedS.toFixed(1)} s (${first}); last told to wait ${waitS} s`,
  );
  console.log(
    `  extrapolated: ${Math.round(Math.min(atPace, cap))} a day (${Math.round(atPace)} at this pace, at most ${cap} by the failure budget)`,
  );
}

async function main() {
  const live = await target();
  try {
    const policy = live.server.deps.smsPolicies.defaults();
    console.log('default policy, per number:');
    console.log(
      `  sends: ${policy.sendingRateLimitConfigurations.map((w) => `${w.rateLimit}/${w.windowInMinutes} min`).join(', ')}`,
    );
    console.log(
      `  submissions: ${policy.submissionRateLimitConfiguration.rateLimit}/${policy.submissionRateLimitConfiguration.windowInMinutes} min`,
    );
    console.log(
      `  failure budget: ${policy.failureBudget.maxConsecutiveFailures} wrong codes, lockout ${policy.failureBudget.lockoutMinutes} min`,
    );
    console.log(`  attempts per challenge: ${live.server.deps.config.otp.maxAttempts}`);

    const sequential = await realTime(live, '+64211000001', 1);
    report(`1. one request at a time, ${SECONDS} s`, sequential.tally);
    extrapolate(sequential, policy.failureBudget);
    const parallel = await realTime(live, '+64211000002', PARALLEL);
    report(`2. ${PARALLEL} requests in flight, ${SECONDS} s`, parallel.tally);
    extrapolate(parallel, policy.failureBudget);
  } finally {
    await live.close();
  }

  const clock = new ManualClock(Date.now());
  const sim = await target(clock);
  try {
    const { tally, perDay } = await simulated(sim, clock, '+64211000003');
    report(`3. ${DAYS} simulated days, waiting out every Retry-After`, tally);
    console.log(`  codes compared per day: ${perDay.join(', ')}`);
    console.log(`  average: ${(tally.compared / DAYS).toFixed(1)} a day`);
    // A refused submission is reserved too, so the patient attacker's probes past the submission window
    // are spent from the failure budget: fewer than its 100 are compared.
  } finally {
    await sim.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

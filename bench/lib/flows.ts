/** The flows the bench drives: sign-in and adaptive MFA, as sequences of timed calls. */
import { randomInt, randomUUID } from 'node:crypto';
import { basicAuth, bearerAuth, type Client, type Inbox, type Reply } from './client.js';
import type { DbName, FlowName, Options } from './options.js';
import type { Server } from './server.js';

// ---------------------------------------------------------------------------------------------------
// Flow definitions

/** What a flow works with during one run: a server with a fresh database. */
export interface RunContext {
  db: DbName;
  server: Server;
  client: Client;
  inbox: Inbox;
  opts: Options;
}

/** Microseconds per call of one flow, by call id, plus `flow`: the whole flow. */
type Timings = Record<string, number>;

interface Targets {
  flowsPerS: Record<DbName, number>;
  p99FlowMs: number;
  rssMiB: number;
}

/**
 * One kind of flow. `setup` runs once per run, after the server has started and before the warm-up,
 * and is not measured; `run` is one flow, timed call by call, and throws a FlowError on any unexpected
 * answer.
 */
export interface FlowDef<State> {
  name: FlowName;
  title: string;
  /** The measured calls in order, with their printed labels; the whole flow (`flow`) comes last. */
  calls: readonly { id: string; label: string }[];
  /** Undefined: the flow has no target. */
  targets?: Targets;
  setup(ctx: RunContext): Promise<State>;
  run(ctx: RunContext, state: State, flowIndex: number): Promise<Timings>;
}

export class FlowError extends Error {
  constructor(
    readonly kind: string,
    detail: string,
  ) {
    super(detail);
  }
}

const nowUs = () => performance.now() * 1000;

/** Times the consecutive calls of one flow: `lap(id)` records the time since the previous lap (or the start). */
function stopwatch() {
  const timings: Timings = {};
  const start = nowUs();
  let last = start;
  return {
    lap(id: string): void {
      const t = nowUs();
      timings[id] = t - last;
      last = t;
    },
    done(): Timings {
      timings.flow = last - start;
      return timings;
    },
  };
}

/** A distinct private address per pool user (10.0.0.0/8). */
const userIp = (n: number) => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;

/** A valid NZ mobile number: +6421 and 7 digits. */
const nzMobile = (n: number) => `+6421${String(n % 10_000_000).padStart(7, '0')}`;

/** The code in an SMS body read from the dev inbox or the Twilio fake. */
const codeIn = (body: string | undefined) => (body ? /\b(\d{6,10})\b/.exec(body)?.[1] : undefined);

let phoneCounter = randomInt(0, 10_000_000);
/** A valid NZ mobile number (+6421 and 7 digits), unique for the first ten million flows of a run. */
function nextPhone(): string {
  phoneCounter = (phoneCounter + 1) % 10_000_000;
  return nzMobile(phoneCounter);
}

const signinFlow: FlowDef<void> = {
  name: 'signin',
  title: 'SMS sign-in flow',
  calls: [
    { id: 'challenge', label: 'POST /v1/challenge' },
    { id: 'codeLookup', label: 'code lookup (dev_inbox)' },
    { id: 'verify', label: 'POST /v1/verify' },
    { id: 'claim', label: 'POST /v1/claim' },
  ],
  targets: { flowsPerS: { sqlite: 2000, postgres: 1000 }, p99FlowMs: 30, rssMiB: 150 },
  async setup() {},
  async run({ client, inbox }, _state, flowIndex) {
    const to = nextPhone();
    const watch = stopwatch();
    const started = await client.post('/v1/challenge', {
      verificationMethod: 'SMS',
      action: 'signInWithSms',
      phoneNumber: to,
    });
    watch.lap('challenge');
    const challengeId = started.body.challengeId;
    if (started.status !== 200 || typeof challengeId !== 'string') {
      throw new FlowError(`challenge HTTP ${started.status}`, JSON.stringify(started.body));
    }
    const code = codeIn(await inbox.body(challengeId, to));
    watch.lap('codeLookup');
    if (!code) throw new FlowError(`code not in ${inbox.source}`, `challenge ${challengeId} to ${to}`);
    const verified = await client.post('/v1/verify', { challengeId, verificationCode: code });
    watch.lap('verify');
    if (verified.status !== 200) throw new FlowError(`verify HTTP ${verified.status}`, JSON.stringify(verified.body));
    if (verified.body.isVerified !== true)
      throw new FlowError('verify isVerified=false', JSON.stringify(verified.body));
    const claimed = await client.post('/v1/claim', { challengeId, userId: `bench-user-${flowIndex}` });
    watch.lap('claim');
    if (claimed.status !== 200) throw new FlowError(`claim HTTP ${claimed.status}`, JSON.stringify(claimed.body));
    if (typeof claimed.body.token !== 'string')
      throw new FlowError('claim without token', JSON.stringify(claimed.body));
    return watch.done();
  },
};

const ADAPTIVE_ACTION = 'withdraw';
/** An IP address in New Zealand: the "Outside NZ" rule does not match it. */
const NZ_IP = '203.109.128.1';
/** Rules 1 and 2 match every tracked withdrawal of the bench (amount 250, a new device each time). */
const ADAPTIVE_RULES = [
  { name: 'Large amount', type: 'CHALLENGE', priority: 10, conditions: { '>': [{ var: 'custom.amount' }, 100] } },
  { name: 'New device', type: 'CHALLENGE', priority: 20, conditions: { '==': [{ var: 'device.isNew' }, true] } },
  {
    name: 'Outside NZ',
    type: 'BLOCK',
    priority: 0,
    conditions: {
      and: [
        { '!=': [{ var: 'ip.location.country.countryCode' }, 'NZ'] },
        { '!=': [{ var: 'ip.location.country.countryCode' }, null] },
      ],
    },
  },
];
/** Concurrent requests while enrolling the user pool. */
const SETUP_CONCURRENCY = 16;

interface AdaptiveState {
  users: { userId: string; phone: string }[];
  next: number;
}

/** Runs `fn` on every item, at most `limit` at a time; rejects with the first failure. */
async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  const worker = async () => {
    while (i < items.length) {
      const item = items[i++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** A setup request that must answer 200. */
async function expectOk(what: string, reply: Promise<Reply>): Promise<Record<string, unknown>> {
  const r = await reply;
  if (r.status !== 200) throw new Error(`setup: ${what} answered HTTP ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

const adaptiveFlow: FlowDef<AdaptiveState> = {
  name: 'adaptive',
  title: 'adaptive MFA flow',
  calls: [
    { id: 'track', label: `POST …/actions/${ADAPTIVE_ACTION}` },
    { id: 'clientChallenge', label: 'POST /v1/client/challenge/sms' },
    { id: 'codeLookup', label: 'code lookup (dev_inbox)' },
    { id: 'clientVerify', label: 'POST /v1/client/verify/sms' },
    { id: 'validate', label: 'POST /v1/validate' },
  ],
  async setup({ client, server, opts }) {
    const started = Date.now();
    const management = basicAuth(server.managementSecretKey);
    const configs = '/v1/management/action-configurations';
    await expectOk(
      'creating the action configuration',
      client.post(configs, { actionCode: ADAPTIVE_ACTION, defaultUserActionResult: 'ALLOW' }, management),
    );
    for (const rule of ADAPTIVE_RULES) {
      const created = await expectOk(
        `creating the rule "${rule.name}"`,
        client.post(`${configs}/${ADAPTIVE_ACTION}/rules`, rule, management),
      );
      if (created.isActive !== true) throw new Error(`setup: the rule "${rule.name}" is not active`);
    }
    const base = randomInt(0, 10_000_000);
    const users = Array.from({ length: opts.users }, (_, i) => ({ userId: `bench-u-${i}`, phone: nzMobile(base + i) }));
    await forEachLimit(users, SETUP_CONCURRENCY, async (u) => {
      await expectOk(
        `enrolling ${u.userId}`,
        client.post(`/v1/users/${u.userId}/authenticators`, { verificationMethod: 'SMS', phoneNumber: u.phone }),
      );
    });
    console.log(
      `   setup: action "${ADAPTIVE_ACTION}", ${ADAPTIVE_RULES.length} rules, ${users.length} users enrolled with SMS in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    return { users, next: 0 };
  },
  async run({ client, inbox }, state) {
    // Round robin over the pool: a user's flows are far apart, and every track makes a new action, so a
    // new challenge, which the resend cooldown does not touch.
    const user = state.users[state.next] as AdaptiveState['users'][number];
    state.next = (state.next + 1) % state.users.length;
    const watch = stopwatch();
    const tracked = await client.post(`/v1/users/${user.userId}/actions/${ADAPTIVE_ACTION}`, {
      custom: { amount: 250 },
      deviceId: randomUUID(),
      ipAddress: NZ_IP,
    });
    watch.lap('track');
    if (tracked.status !== 200) throw new FlowError(`track HTTP ${tracked.status}`, JSON.stringify(tracked.body));
    const token = tracked.body.token;
    if (tracked.body.state !== 'CHALLENGE_REQUIRED' || typeof token !== 'string') {
      throw new FlowError(`track state ${String(tracked.body.state)}`, JSON.stringify(tracked.body));
    }
    const bearer = bearerAuth(token);
    // The user's own address, as the balancer in front of the Client API forwards it.
    const ip = userIp(state.next);
    const challenged = await client.post('/v1/client/challenge/sms', undefined, bearer, ip);
    watch.lap('clientChallenge');
    const challengeId = challenged.body.challengeId;
    if (challenged.status !== 200 || typeof challengeId !== 'string') {
      throw new FlowError(`client challenge HTTP ${challenged.status}`, JSON.stringify(challenged.body));
    }
    const code = codeIn(await inbox.body(challengeId, user.phone));
    watch.lap('codeLookup');
    if (!code) throw new FlowError(`code not in ${inbox.source}`, `challenge ${challengeId} to ${user.phone}`);
    const verified = await client.post('/v1/client/verify/sms', { verificationCode: code }, bearer, ip);
    watch.lap('clientVerify');
    if (verified.status !== 200) {
      throw new FlowError(`client verify HTTP ${verified.status}`, JSON.stringify(verified.body));
    }
    const accessToken = verified.body.accessToken;
    if (verified.body.isVerified !== true || typeof accessToken !== 'string') {
      throw new FlowError('client verify not verified or without accessToken', JSON.stringify(verified.body));
    }
    const validated = await client.post('/v1/validate', { action: ADAPTIVE_ACTION, token: accessToken });
    watch.lap('validate');
    if (validated.status !== 200) {
      throw new FlowError(`validate HTTP ${validated.status}`, JSON.stringify(validated.body));
    }
    if (validated.body.isValid !== true || validated.body.state !== 'CHALLENGE_SUCCEEDED') {
      throw new FlowError(
        `validate isValid=${String(validated.body.isValid)} state=${String(validated.body.state)}`,
        JSON.stringify(validated.body),
      );
    }
    return watch.done();
  },
};

/** Method parameters are bivariant, so each definition stands as a FlowDef<unknown>. */
export const FLOWS: Record<FlowName, FlowDef<unknown>> = { signin: signinFlow, adaptive: adaptiveFlow };

/** Call ids whose latency is recorded: the flow's calls, then the whole flow. */
export const callIds = (flow: FlowDef<unknown>) => [...flow.calls.map((c) => c.id), 'flow'];

import { ApiError } from '../../errors.js';
import type { Clock } from '../../lib/clock.js';
import type { NormalisedPhone } from '../../lib/phone.js';
import type { Random } from '../../lib/random.js';
import type { SmsDecisionTriggerRow } from '../../storage/schema.js';
import { type Count, type Counters, counterKey } from './counters.js';
import { destinationRefusal, digitsOf, isSafeListed, prefixGroup } from './destination.js';
import { type Defence, type SmsPolicy, windowMs } from './policy.js';
import type { SmsPolicyService } from './policy-service.js';
import type { LimitsStore } from './store.js';

/** One defence that a send or a submission triggered. */
export interface Trigger {
  defence: Defence;
  /** When the request may succeed again. */
  retryAfterMs: number;
  /** The refusal's description: names the limit. */
  description: string;
}

/** Conversion-based prefix blocking (adaptive.ts); optional so that the guard stands without it. */
export interface AdaptiveDefence {
  check(tenantId: string, phone: NormalisedPhone, policy: SmsPolicy): Promise<Trigger | undefined>;
  noteVerified(tenantId: string, phone: NormalisedPhone): Promise<void>;
}

export interface GuardDeps {
  clock: Clock;
  random: Random;
  counters: Counters;
  smsPolicies: Pick<SmsPolicyService, 'get'>;
  limitsStore: Pick<LimitsStore, 'recordDecision'>;
  adaptive?: AdaptiveDefence | undefined;
}

export interface SendRequest {
  tenantId: string;
  phone: NormalisedPhone;
  challengeId: string;
  /** The backend's `ipAddress` (Server API), or the Client API caller's address. */
  ipAddress?: string | undefined;
  userId?: string | null | undefined;
}

export type SendVerdict = { kind: 'send'; decisionId: string } | { kind: 'test'; code: string; decisionId: string };

/** Policy refusals (country, line type) do not reopen with time; the caller is told to retry much later. */
const POLICY_RETRY_MS = 24 * 3_600_000;

/**
 * Decides whether a code may be sent, before it is sent. Every counter is added to first, in one atomic
 * step each, whatever the outcome, so N simultaneous requests can never pass a budget of fewer than N, and
 * a refused request costs an attacker the same budget as a sent one (no free probing). Then each
 * triggered defence acts by its mode: `enforce` refuses (429 with Retry-After), `record_only` is recorded
 * and let through. Every send gets one decision record, allowed or refused.
 */
export async function guardSend(d: GuardDeps, req: SendRequest): Promise<SendVerdict> {
  const now = d.clock.now();
  const policy = await d.smsPolicies.get(req.tenantId);
  const decisionId = d.random.uuid();
  const test = testNumber(policy, req.phone.e164, now);
  if (test) {
    // App-store reviewers and end-to-end tests: no SMS, no limit, but every use recorded.
    await record(d, req, decisionId, now, 'test', [], policy);
    return { kind: 'test', code: test.code, decisionId };
  }
  if (!policy.isActive) {
    throw new ApiError('invalid_configuration', 'SMS is not active for this tenant (isActive is false).');
  }
  const triggers: Trigger[] = [];
  const destination = destinationRefusal(req.phone, policy);
  if (destination && policy.modes[destination.defence] !== 'off') {
    triggers.push({ ...destination, retryAfterMs: POLICY_RETRY_MS });
  }
  const { tenantId, phone } = req;
  const limits: Limit[] = [];
  if (policy.modes.failure_budget !== 'off') {
    // Peeked, not added to: the failure budget counts wrong codes, and only verify adds to it.
    const lock = await counted(d.counters.peek(failureKey(tenantId, phone.e164, policy)));
    if (lock && lock.count >= policy.failureBudget.maxConsecutiveFailures) {
      triggers.push({
        defence: 'failure_budget',
        retryAfterMs: lock.resetInMs,
        description: `This number has had ${policy.failureBudget.maxConsecutiveFailures} wrong codes in a row; it is locked.`,
      });
    }
  }
  if (policy.modes.sending_limit !== 'off') {
    for (const w of policy.sendingRateLimitConfigurations) {
      limits.push({ defence: 'sending_limit', key: ['send', tenantId, phone.e164], window: w, what: 'This number' });
    }
  }
  if (policy.modes.ip_limit !== 'off' && req.ipAddress) {
    for (const w of policy.ipRateLimitConfigurations) {
      limits.push({ defence: 'ip_limit', key: ['ip', tenantId, req.ipAddress], window: w, what: 'This IP address' });
    }
  }
  if (policy.modes.user_limit !== 'off' && req.userId) {
    for (const w of policy.userRateLimitConfigurations) {
      limits.push({ defence: 'user_limit', key: ['user', tenantId, req.userId], window: w, what: 'This user' });
    }
  }
  if (policy.modes.tenant_limit !== 'off') {
    limits.push({
      defence: 'tenant_limit',
      key: ['tenant', tenantId],
      window: { rateLimit: policy.tenantDailyLimit, windowInMinutes: 1440 },
      what: 'This tenant',
    });
  }
  if (policy.modes.prefix_limit !== 'off') {
    policy.prefixRateLimitConfigurations.forEach((limit, index) => {
      const group = prefixGroup(phone, limit);
      if (group === undefined) return;
      limits.push({
        defence: 'prefix_limit',
        key: ['prefix', tenantId, index, group],
        window: limit,
        what: `Numbers starting +${group}`,
        plural: true,
      });
    });
  }
  triggers.push(...(await addAll(d.counters, limits)));
  if (d.adaptive && policy.modes.adaptive_prefix !== 'off' && !isSafeListed(phone.e164, policy)) {
    const adaptive = await counted(d.adaptive.check(tenantId, phone, policy));
    if (adaptive) triggers.push(adaptive);
  }
  const enforced = triggers.filter((t) => policy.modes[t.defence] === 'enforce');
  await record(d, req, decisionId, now, enforced.length > 0 ? 'refused' : 'allowed', triggers, policy);
  if (enforced.length > 0) throw refusal(enforced);
  return { kind: 'send', decisionId };
}

/**
 * Before a submitted code is compared: reserves it against the number's failure budget (consecutive wrong
 * codes, across every challenge of the number, so a new challenge does not reset it) and its submission
 * window. A right code then resets the failure budget (`submissionSucceeded`).
 */
export async function guardSubmission(
  d: GuardDeps,
  req: { tenantId: string; phone: NormalisedPhone; challengeId: string },
): Promise<void> {
  const policy = await d.smsPolicies.get(req.tenantId);
  if (testNumber(policy, req.phone.e164, d.clock.now())) return;
  // The submission window first: a submission it refuses is never compared, so it is no wrong code and
  // must not spend the failure budget (else a client that retries too fast would lock its own number).
  const triggers =
    policy.modes.submission_limit === 'off'
      ? []
      : await addAll(d.counters, [
          {
            defence: 'submission_limit',
            key: ['submit', req.tenantId, req.phone.e164],
            window: policy.submissionRateLimitConfiguration,
            what: 'This number',
            noun: 'code submissions',
          },
        ]);
  const windowRefuses = triggers.some((t) => policy.modes[t.defence] === 'enforce');
  if (!windowRefuses && policy.modes.failure_budget !== 'off') {
    triggers.push(
      ...(await addAll(d.counters, [
        {
          defence: 'failure_budget',
          key: failureParts(req.tenantId, req.phone.e164),
          window: failureWindow(policy),
          what: 'This number',
          failures: true,
        },
      ])),
    );
  }
  if (triggers.length === 0) return;
  const enforced = triggers.filter((t) => policy.modes[t.defence] === 'enforce');
  const now = d.clock.now();
  await recordDecision(d, {
    tenantId: req.tenantId,
    decisionId: d.random.uuid(),
    now,
    kind: 'submission',
    outcome: enforced.length > 0 ? 'refused' : 'allowed',
    phone: req.phone,
    challengeId: req.challengeId,
    triggers,
    policy,
  });
  if (enforced.length > 0) throw refusal(enforced);
}

/** A right code: the number's run of wrong codes ends, and the adaptive defence learns of a conversion. */
export async function submissionSucceeded(
  d: GuardDeps,
  req: { tenantId: string; phone: NormalisedPhone },
): Promise<void> {
  const policy = await d.smsPolicies.get(req.tenantId);
  await counted(
    Promise.all([
      d.counters.reset(failureKey(req.tenantId, req.phone.e164, policy)),
      d.adaptive?.noteVerified(req.tenantId, req.phone),
    ]),
  );
}

interface Limit {
  defence: Defence;
  key: (string | number)[];
  window: { rateLimit: number; windowInMinutes: number };
  what: string;
  /** What is counted, in the refusal's words. */
  noun?: string;
  /** `what` names several numbers: "have reached their limit". */
  plural?: boolean;
  failures?: boolean;
}

/** Adds one to every limit's counter in parallel; the limits whose count is now over their budget. */
async function addAll(counters: Counters, limits: Limit[]): Promise<Trigger[]> {
  const counts: Count[] = await counted(
    Promise.all(limits.map((l) => counters.add(counterKey(l.key, windowMs(l.window)), 1, windowMs(l.window)))),
  );
  const triggers: Trigger[] = [];
  limits.forEach((l, i) => {
    const count = counts[i];
    if (!count || count.count <= l.window.rateLimit) return;
    triggers.push({
      defence: l.defence,
      retryAfterMs: count.resetInMs,
      description: l.failures
        ? `${l.what} has had ${l.window.rateLimit} wrong codes in a row; it is locked for up to ${l.window.windowInMinutes} minutes.`
        : `${l.what} ${l.plural ? 'have reached their' : 'has reached its'} limit of ${l.window.rateLimit} ${l.noun ?? 'codes'} in ${l.window.windowInMinutes} minutes.`,
    });
  });
  return triggers;
}

/**
 * A counter that cannot be reached (Redis down, hung or unreachable; the database failing) fails the request
 * with a 503, never lets it through: no code is sent or compared without its limits. The cause is logged.
 */
async function counted<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError('service_unavailable', 'The SMS limits cannot be checked now: their counters are unreachable.', {
      cause: err,
      retryAfterSeconds: 5,
    });
  }
}

function failureParts(tenantId: string, e164: string): (string | number)[] {
  return ['fail', tenantId, e164];
}

/** The failure budget's window, rounded as addAll rounds it: a key must name the window its counter was added in. */
function failureWindow(policy: SmsPolicy) {
  return {
    rateLimit: policy.failureBudget.maxConsecutiveFailures,
    windowInMinutes: policy.failureBudget.lockoutMinutes,
  };
}

function failureKey(tenantId: string, e164: string, policy: SmsPolicy): string {
  return counterKey(failureParts(tenantId, e164), windowMs(failureWindow(policy)));
}

function testNumber(policy: SmsPolicy, e164: string, now: number) {
  return policy.testNumbers.find((t) => t.phoneNumber === e164 && Date.parse(t.expiresAt) > now);
}

/** The first enforced trigger names the limit; Retry-After is the latest reopening among them. */
function refusal(enforced: Trigger[]): ApiError {
  const first = enforced[0] as Trigger;
  const retryAfterMs = Math.max(...enforced.map((t) => t.retryAfterMs));
  return new ApiError('too_many_requests', `${first.description} Try again later.`, {
    retryAfterSeconds: retryAfterMs / 1000,
  });
}

async function record(
  d: GuardDeps,
  req: SendRequest,
  decisionId: string,
  now: number,
  outcome: 'allowed' | 'refused' | 'test',
  triggers: Trigger[],
  policy: SmsPolicy,
) {
  await recordDecision(d, {
    tenantId: req.tenantId,
    decisionId,
    now,
    kind: 'send',
    outcome,
    phone: req.phone,
    challengeId: req.challengeId,
    ipAddress: req.ipAddress,
    userId: req.userId,
    triggers,
    policy,
  });
}

async function recordDecision(
  d: GuardDeps,
  r: {
    tenantId: string;
    decisionId: string;
    now: number;
    kind: 'send' | 'submission';
    outcome: string;
    phone: NormalisedPhone;
    challengeId: string;
    ipAddress?: string | undefined;
    userId?: string | null | undefined;
    triggers: Trigger[];
    policy: SmsPolicy;
  },
) {
  const deciding = r.triggers.find((t) => r.policy.modes[t.defence] === 'enforce') ?? r.triggers[0];
  const rows: SmsDecisionTriggerRow[] = r.triggers.map((t) => ({
    decision_id: r.decisionId,
    tenant_id: r.tenantId,
    at: r.now,
    defence: t.defence,
    mode: r.policy.modes[t.defence],
    retry_after_ms: Math.max(0, Math.round(t.retryAfterMs)),
  }));
  await d.limitsStore.recordDecision(
    {
      id: r.decisionId,
      tenant_id: r.tenantId,
      at: r.now,
      kind: r.kind,
      outcome: r.outcome,
      defence: deciding?.defence ?? null,
      challenge_id: r.challengeId,
      phone_number: r.phone.e164,
      country: r.phone.country ?? null,
      prefix: digitsOf(r.phone.e164).slice(0, r.phone.callingCode.length + 2),
      ip_address: r.ipAddress ?? null,
      user_id: r.userId ?? null,
      provider: null,
    },
    // One row per defence: a trigger may not repeat within a decision (two windows of one limit).
    rows.filter((row, i) => rows.findIndex((o) => o.defence === row.defence) === i),
  );
}

import { ApiError } from '../../errors.js';
import type { Clock } from '../../lib/clock.js';
import type { NormalisedPhone } from '../../lib/phone.js';
import type { Random } from '../../lib/random.js';
import type { SmsDecisionRow, SmsDecisionTriggerRow } from '../../storage/schema.js';
import type { Metrics } from '../metrics/metrics.js';
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
  metrics?: Pick<Metrics, 'limitRefusal' | 'otpVerification'>;
}

export interface SendRequest {
  tenantId: string;
  phone: NormalisedPhone;
  challengeId: string;
  /** The backend's `ipAddress` (Server API), or the Client API caller's address. */
  ipAddress?: string | undefined;
  userId?: string | null | undefined;
}

/**
 * A send that may go ahead, with its decision record for the caller to write in the challenge's
 * transaction, the provider filled in: one write, made durable with the challenge it belongs to.
 */
export type SendVerdict = { kind: 'send'; decision: Decision } | { kind: 'test'; code: string; decision: Decision };

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
    return { kind: 'test', code: test.code, decision: sendDecision(req, decisionId, now, 'test', [], policy) };
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
  // All counter calls start together, so the database counters gather them into one upsert and one
  // select (counters.ts). The failure budget is peeked, not added to: only verify adds to it.
  const adaptive = d.adaptive && policy.modes.adaptive_prefix !== 'off' && !isSafeListed(phone.e164, policy);
  const [lock, limited, paused] = await Promise.all([
    policy.modes.failure_budget === 'off'
      ? undefined
      : counted(d.counters.peek(failureKey(tenantId, phone.e164, policy))),
    addAll(d.counters, limits),
    adaptive ? counted((d.adaptive as AdaptiveDefence).check(tenantId, phone, policy)) : undefined,
  ]);
  if (lock && lock.count >= policy.failureBudget.maxConsecutiveFailures) {
    triggers.push({
      defence: 'failure_budget',
      retryAfterMs: lock.resetInMs,
      description: `This number has had ${policy.failureBudget.maxConsecutiveFailures} wrong codes in a row; it is locked.`,
    });
  }
  triggers.push(...limited);
  if (paused) triggers.push(paused);
  const enforced = triggers.filter((t) => policy.modes[t.defence] === 'enforce');
  if (enforced.length > 0) {
    const refused = sendDecision(req, decisionId, now, 'refused', triggers, policy);
    await counted(d.limitsStore.recordDecision(refused.row, refused.triggers));
    d.metrics?.limitRefusal((enforced[0] as Trigger).defence);
    throw refusal(enforced);
  }
  return { kind: 'send', decision: sendDecision(req, decisionId, now, 'allowed', triggers, policy) };
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
  const window: Limit = {
    defence: 'submission_limit',
    key: ['submit', req.tenantId, req.phone.e164],
    window: policy.submissionRateLimitConfiguration,
    what: 'This number',
    noun: 'code submissions',
  };
  const failures: Limit = {
    defence: 'failure_budget',
    key: failureParts(req.tenantId, req.phone.e164),
    window: failureWindow(policy),
    what: 'This number',
    failures: true,
  };
  // Both reserved in one round (one statement on the database). A submission that the window refuses
  // is never compared, so it is no wrong code: its failure point is given back (else a client that
  // retries too fast would lock its own number). Until then a concurrent reader may see it counted.
  const windowOn = policy.modes.submission_limit !== 'off';
  const failuresOn = policy.modes.failure_budget !== 'off';
  const [windowTriggers, failureTriggers] = await Promise.all([
    windowOn ? addAll(d.counters, [window]) : [],
    failuresOn ? addAll(d.counters, [failures]) : [],
  ]);
  const windowRefuses = windowTriggers.some((t) => policy.modes[t.defence] === 'enforce');
  if (windowRefuses && failuresOn) {
    const key = counterKey(failures.key, windowMs(failures.window));
    await counted(d.counters.add(key, -1, windowMs(failures.window)));
  }
  const triggers = windowRefuses ? windowTriggers : [...windowTriggers, ...failureTriggers];
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
  if (enforced.length > 0) d.metrics?.limitRefusal((enforced[0] as Trigger).defence);
  if (enforced.length > 0) throw refusal(enforced);
}

/** A right code: the number's run of wrong codes ends, and the adaptive defence learns of a conversion. */
export async function submissionSucceeded(
  d: GuardDeps,
  req: { tenantId: string; phone: NormalisedPhone },
): Promise<void> {
  const policy = await d.smsPolicies.get(req.tenantId);
  const key = failureKey(req.tenantId, req.phone.e164, policy);
  // One round: on the database, the reset and the adaptive defence's counts share one upsert.
  const adaptive = policy.modes.adaptive_prefix !== 'off' ? d.adaptive : undefined;
  await counted(Promise.all([d.counters.reset(key), adaptive?.noteVerified(req.tenantId, req.phone)]));
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

function sendDecision(
  req: SendRequest,
  decisionId: string,
  now: number,
  outcome: 'allowed' | 'refused' | 'test',
  triggers: Trigger[],
  policy: SmsPolicy,
): Decision {
  return decisionOf({
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

async function recordDecision(d: GuardDeps, r: DecisionInput): Promise<void> {
  const { row, triggers } = decisionOf(r);
  await d.limitsStore.recordDecision(row, triggers);
}

interface DecisionInput {
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
}

/** A decision record, to be written by whoever knows the rest of its story (the provider, for a send). */
export interface Decision {
  row: SmsDecisionRow;
  triggers: SmsDecisionTriggerRow[];
}

function decisionOf(r: DecisionInput): Decision {
  const deciding = r.triggers.find((t) => r.policy.modes[t.defence] === 'enforce') ?? r.triggers[0];
  const rows: SmsDecisionTriggerRow[] = r.triggers.map((t) => ({
    decision_id: r.decisionId,
    tenant_id: r.tenantId,
    at: r.now,
    defence: t.defence,
    mode: r.policy.modes[t.defence],
    retry_after_ms: Math.max(0, Math.round(t.retryAfterMs)),
  }));
  return {
    row: {
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
    triggers: rows.filter((row, i) => rows.findIndex((o) => o.defence === row.defence) === i),
  };
}

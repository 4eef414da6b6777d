import type { Config } from '../../config.js';
import { ApiError, challengeNotFound, invalidRequest } from '../../errors.js';
import type { Clock } from '../../lib/clock.js';
import type { Keyring } from '../../lib/crypto.js';
import { normalisePhone } from '../../lib/phone.js';
import type { Random } from '../../lib/random.js';
import type { ChallengeRow, SmsSendRow } from '../../storage/schema.js';
import type { UnitOfWork } from '../../storage/transactions.js';
import { ACTION_CODE_PATTERN, trackedAttribute } from '../actions/actions.js';
import type { ActionStore } from '../actions/store.js';
import { type GuardDeps, guardSend, type SendVerdict } from '../limits/guard.js';
import type { LimitsStore } from '../limits/store.js';
import { DeliveryError, type SmsDispatcher } from '../sms/dispatcher.js';
import type { SmsStore } from '../sms/store.js';
import { composeOtpMessage } from '../sms/templates/render.js';
import type { MessageSettingsService } from '../sms/templates/settings.js';
import { enrollmentScopes, formatScopes, requestScopes, type Scope } from '../tokens/scopes.js';
import { phoneInput } from '../users/phone-input.js';
import type { UserService } from '../users/service.js';
import { hashCode } from './otp.js';
import type { ChallengeStore } from './store.js';

export interface InitiateDeps extends GuardDeps {
  config: Readonly<Pick<Config, 'otp'>>;
  clock: Clock;
  random: Random;
  keyring: Keyring;
  challengeStore: ChallengeStore;
  actionStore: ActionStore;
  userService: Pick<UserService, 'smsAuthenticator'>;
  smsDispatcher: Pick<SmsDispatcher, 'send'>;
  messageTemplates: Pick<MessageSettingsService, 'get'>;
  transaction: UnitOfWork<{ actions: ActionStore; challenges: ChallengeStore; sms: SmsStore; limits: LimitsStore }>;
}

export interface InitiateRequest {
  verificationMethod?: string;
  action?: string;
  challengeId?: string;
  idempotencyKey?: string;
  userId?: string;
  phoneNumber?: string;
  scope?: string;
  locale?: string;
  /** Client API enrollment: the ID the authenticator will get once the code is verified. */
  authenticatorId?: string;
  /** The Client API caller's address; Server API calls use the ipAddress that track recorded. */
  ipAddress?: string;
}

export interface InitiateResponse {
  challengeId: string;
  idempotencyKey: string;
  /** Unix seconds. */
  expiresAt: number;
}

/** Starts an SMS challenge, or resends a new code for an existing one (`challengeId`). */
export async function initiateChallenge(
  d: InitiateDeps,
  tenantId: string,
  req: InitiateRequest,
): Promise<InitiateResponse> {
  if (req.challengeId) return resendChallenge(d, tenantId, req.challengeId, req.ipAddress);
  const method = req.verificationMethod ?? 'SMS';
  if (method !== 'SMS')
    throw invalidRequest(`verificationMethod "${method}" is not supported: Sigil sends SMS codes only`);
  if (!req.action) throw invalidRequest('action is required');
  if (!ACTION_CODE_PATTERN.test(req.action)) throw invalidRequest('action must match ^[a-zA-Z0-9_-]{1,64}$');
  const policy = await d.smsPolicies.get(tenantId);
  const phone = phoneInput(req.phoneNumber, 'phoneNumber', policy.defaultCountryCode ?? undefined);
  const scopes = requestScopes(req.scope);
  const enrolls = enrollmentScopes(scopes).length > 0;
  if (enrolls && !req.userId)
    throw invalidRequest('userId is required with scope add:authenticators or update:authenticators');
  if (req.userId) await checkScopeAllowsNumber(d, tenantId, req.userId, phone.e164, scopes);

  const now = d.clock.now();
  const id = d.random.uuid();
  let code = d.random.digits(d.config.otp.length);
  const idempotencyKey = req.idempotencyKey ?? d.random.uuid();
  const row: ChallengeRow = {
    id,
    tenant_id: tenantId,
    idempotency_key: idempotencyKey,
    user_id: req.userId ?? null,
    action_code: req.action,
    verification_method: 'SMS',
    phone_number: phone.e164,
    scope: scopes.size > 0 ? formatScopes(scopes) : null,
    locale: req.locale ?? null,
    code_hash: '',
    attempts: 0,
    max_attempts: d.config.otp.maxAttempts,
    send_count: 1,
    last_sent_at: now,
    created_at: now,
    expires_at: now + d.config.otp.ttlSeconds * 1000,
    verified_at: null,
    claimed_at: null,
    claimed_user_id: null,
    failed_reason: null,
    authenticator_id: req.authenticatorId ?? null,
  };
  const existing = req.idempotencyKey ? await d.actionStore.get(tenantId, req.idempotencyKey) : undefined;
  if (
    existing &&
    (existing.action_code !== req.action || (req.userId && existing.user_id && existing.user_id !== req.userId))
  ) {
    throw invalidRequest('idempotencyKey belongs to an action of another user or action code');
  }
  const action = req.action;
  const verdict = await guardSend(d, {
    tenantId,
    phone,
    challengeId: id,
    // A Server API challenge for a tracked action is counted by the ipAddress that track recorded.
    ipAddress: req.ipAddress ?? trackedAttribute(existing?.attributes ?? null, 'ipAddress'),
    userId: req.userId,
  });
  if (verdict.kind === 'test') code = verdict.code;
  row.code_hash = hashCode(d.keyring.otpKey, id, code);
  // The code is sent first and the challenge committed after, with its send attempts, in one
  // transaction: the response (the acknowledgement) follows the commit, so an acknowledged challenge
  // survives a crash, and a crash during the send leaves nothing half-made. A failed send is stored too.
  const outcome = await deliver(d, row, code, verdict);
  await d.transaction(async (tx) => {
    await tx.actions.upsert(
      {
        tenant_id: tenantId,
        idempotency_key: idempotencyKey,
        user_id: req.userId ?? null,
        action_code: action,
        state_updated_at: now,
        verification_method: null,
        created_at: now,
        updated_at: now,
      },
      // The state machine moves only ALLOW and CHALLENGE_* actions: a code never reopens a closed one.
      { reason: outcome.ok ? 'challenge_sent' : 'delivery_failed' },
    );
    await tx.challenges.insert({ ...row, failed_reason: outcome.ok ? null : outcome.error.code });
    const { row: decision, triggers } = verdict.decision;
    await tx.sms.recordAttempts(outcome.attempts, decision);
    await tx.limits.recordDecision({ ...decision, provider: outcome.provider ?? null }, triggers);
  });
  if (!outcome.ok) throw outcome.error;
  return { challengeId: id, idempotencyKey, expiresAt: Math.floor(row.expires_at / 1000) };
}

async function resendChallenge(
  d: InitiateDeps,
  tenantId: string,
  challengeId: string,
  ipAddress: string | undefined,
): Promise<InitiateResponse> {
  const now = d.clock.now();
  const target = await d.challengeStore.get(tenantId, challengeId);
  if (!target) throw challengeNotFound();
  // Every resend passes the same defences as a first send.
  const verdict = await guardSend(d, {
    tenantId,
    phone: normalisePhone(target.phone_number),
    challengeId,
    ipAddress,
    userId: target.user_id,
  });
  const code = verdict.kind === 'test' ? verdict.code : d.random.digits(d.config.otp.length);
  const { maxSendsPerChallenge, resendCooldownSeconds, ttlSeconds } = d.config.otp;
  const row = await d.challengeStore.replaceCode(tenantId, challengeId, {
    codeHash: hashCode(d.keyring.otpKey, challengeId, code),
    now,
    expiresAt: now + ttlSeconds * 1000,
    maxSends: maxSendsPerChallenge,
    cooldownMs: resendCooldownSeconds * 1000,
  });
  if (!row) {
    const current = await d.challengeStore.get(tenantId, challengeId);
    if (!current) throw challengeNotFound();
    if (current.verified_at !== null) throw invalidRequest('This challenge is already verified');
    if (current.send_count >= maxSendsPerChallenge) {
      throw new ApiError('too_many_requests', `A code may be sent at most ${maxSendsPerChallenge} times per challenge`);
    }
    const wait = Math.max(Math.ceil((current.last_sent_at + resendCooldownSeconds * 1000 - now) / 1000), 1);
    throw new ApiError('too_many_requests', `Wait ${wait} seconds before sending another code`, {
      retryAfterSeconds: wait,
    });
  }
  const outcome = await deliver(d, row, code, verdict);
  await d.transaction(async (tx) => {
    // An undelivered code must never be accepted: the challenge stays failed until a resend succeeds.
    if (!outcome.ok) await tx.challenges.markFailed(tenantId, challengeId, outcome.error.code);
    const { row: decision, triggers } = verdict.decision;
    await tx.sms.recordAttempts(outcome.attempts, decision);
    await tx.limits.recordDecision({ ...decision, provider: outcome.provider ?? null }, triggers);
  });
  if (!outcome.ok) throw outcome.error;
  return { challengeId, idempotencyKey: row.idempotency_key, expiresAt: Math.floor(row.expires_at / 1000) };
}

type SendOutcome =
  | { ok: true; attempts: SmsSendRow[]; provider?: string }
  | { ok: false; error: ApiError; attempts: SmsSendRow[]; provider?: undefined };

/** Sends the code, except to a test number, which gets no SMS and keeps its fixed code. */
async function deliver(d: InitiateDeps, row: ChallengeRow, code: string, verdict: SendVerdict): Promise<SendOutcome> {
  if (verdict.kind === 'test') return { ok: true, attempts: [] };
  try {
    const delivery = await d.smsDispatcher.send({
      tenantId: row.tenant_id,
      challengeId: row.id,
      sendId: `${row.id}-${row.send_count}`,
      to: row.phone_number,
      code,
      body: composeOtpMessage(await d.messageTemplates.get(row.tenant_id), row.locale, {
        code,
        expiresInMinutes: Math.round(d.config.otp.ttlSeconds / 60),
      }),
      userId: row.user_id,
      idempotencyKey: row.idempotency_key,
      actionCode: row.action_code,
      locale: row.locale,
      expiresAt: row.expires_at,
    });
    return { ok: true, attempts: delivery.attempts, provider: delivery.provider };
  } catch (err) {
    if (err instanceof DeliveryError) return { ok: false, error: err, attempts: err.attempts };
    throw err; // configuration errors: nothing was attempted, nothing to store
  }
}

/**
 * Authenticator binding (docs/wire-protocol.md §4.10): `add` may not silently replace another number, and `update` needs
 * an existing SMS authenticator to update.
 */
async function checkScopeAllowsNumber(
  d: InitiateDeps,
  tenantId: string,
  userId: string,
  e164: string,
  scopes: Set<Scope>,
) {
  const add = scopes.has('add:authenticators');
  const update = scopes.has('update:authenticators');
  if (!add && !update) return;
  const existing = await d.userService.smsAuthenticator(tenantId, userId);
  if (add && !update && existing && existing.phone_number !== e164) {
    throw invalidRequest(
      'This user already has an SMS authenticator. Use scope update:authenticators to change its number.',
    );
  }
  if (update && !add && !existing) {
    throw invalidRequest('This user has no SMS authenticator to update. Use scope add:authenticators to enroll one.');
  }
}

import type { Logger } from 'pino';
import { invalidRequest } from '../../errors.js';
import type { Clock } from '../../lib/clock.js';
import { countryOfIp } from '../../lib/ip-country.js';
import { phoneAttribute, phoneCountry } from '../../lib/phone.js';
import type { Random } from '../../lib/random.js';
import type { PublicUrls } from '../../public-urls.js';
import type { ActionRow, AuthenticatorRow } from '../../storage/schema.js';
import type { UnitOfWork } from '../../storage/transactions.js';
import type { Metrics } from '../metrics/metrics.js';
import { formatScopes, requestScopes } from '../tokens/scopes.js';
import type { TokenService } from '../tokens/service.js';
import type { UserService } from '../users/service.js';
import { enrollmentView } from '../users/users.js';
import { ACTION_CODE_PATTERN } from './actions.js';
import type { ActionConfigService } from './config-service.js';
import type { DeviceStore } from './device-store.js';
import { type CompiledRule, evaluate, stateOf } from './rules.js';
import type { ActionStore } from './store.js';
import type { RuleContext } from './variables.js';

export interface TrackDeps {
  clock: Clock;
  random: Random;
  logger: Logger;
  publicUrls: PublicUrls;
  actionStore: ActionStore;
  deviceStore: DeviceStore;
  actionConfigs: Pick<ActionConfigService, 'policy'>;
  userService: Pick<UserService, 'upsertSeen' | 'authenticatorRecords'>;
  tokenService: Pick<TokenService, 'sign'>;
  transaction: UnitOfWork<{ actions: ActionStore }>;
  metrics?: Pick<Metrics, 'trackOutcome'>;
}

export interface TrackAttributes {
  idempotencyKey?: string;
  redirectUrl?: string;
  redirectToSettings?: boolean;
  ipAddress?: string;
  userAgent?: string;
  deviceId?: string;
  scope?: string;
  email?: string;
  phoneNumber?: string;
  username?: string;
  custom?: Record<string, string | number | boolean>;
  challengeId?: string;
  locale?: string;
  customDomain?: string;
}

/**
 * Tracks an action: records the user and device, applies the action's rules, and returns the state
 * with a token for the Client API or the hosted UI. Retrying with the same idempotencyKey returns the
 * action already recorded, so a POST that the SDK resent after a dropped connection creates nothing new.
 */
export async function trackAction(
  d: TrackDeps,
  tenantId: string,
  userId: string,
  actionCode: string,
  a: TrackAttributes,
) {
  if (!ACTION_CODE_PATTERN.test(actionCode)) throw invalidRequest('action must match ^[a-zA-Z0-9_-]{1,64}$');
  const scope = scopeOf(a.scope);
  if (a.redirectUrl !== undefined) checkRedirectUrl(a.redirectUrl);
  if (a.idempotencyKey) {
    const existing = await d.actionStore.get(tenantId, a.idempotencyKey);
    if (existing) {
      const authenticators = await d.userService.authenticatorRecords(tenantId, userId);
      return respond(d, tenantId, userId, actionCode, existing, scope, authenticators);
    }
  }
  const phone = a.phoneNumber ? phoneAttribute(a.phoneNumber) : undefined;
  const now = d.clock.now();
  const user = await d.userService.upsertSeen(
    tenantId,
    userId,
    {
      ...(a.email !== undefined ? { email: a.email } : {}),
      ...(phone ? { phone_number: phone } : {}),
      ...(a.username !== undefined ? { username: a.username } : {}),
    },
    now,
  );
  const policy = await d.actionConfigs.policy(tenantId, actionCode);
  const [authenticators, velocity, deviceIsNew] = await Promise.all([
    d.userService.authenticatorRecords(tenantId, userId),
    velocityCounts(d, tenantId, userId, actionCode, policy.rules, now),
    a.deviceId ? d.deviceStore.touch(tenantId, userId, a.deviceId, now) : Promise.resolve(null),
  ]);
  const userPhone = user.phone_number;
  // The IP database (18 MiB, loaded on first use) and number parsing only when a rule reads them.
  const reads = (name: string) => policy.rules.some((rule) => rule.variables.includes(name));
  const context: RuleContext = {
    action: { code: actionCode },
    ip: {
      address: a.ipAddress ?? null,
      location: {
        country: { countryCode: reads('ip.location.country.countryCode') ? countryOfIp(a.ipAddress) : null },
      },
    },
    device: { id: a.deviceId ?? null, isNew: deviceIsNew, userAgent: a.userAgent ?? null },
    user: {
      id: userId,
      isEnrolled: authenticators.length > 0,
      email: user.email,
      phoneNumber: userPhone,
      phoneNumberCountryCode: userPhone && reads('user.phoneNumberCountryCode') ? phoneCountry(userPhone) : null,
    },
    velocity,
    custom: a.custom ?? {},
  };
  const { matched, decisive } = evaluate(policy.rules, context, (rule, err) =>
    d.logger.warn({ err, ruleId: rule.id, actionCode }, 'rule failed at track time and was skipped'),
  );
  const state = stateOf(decisive?.type ?? policy.defaultOutcome);
  const row = {
    tenant_id: tenantId,
    idempotency_key: a.idempotencyKey ?? d.random.uuid(),
    user_id: userId,
    action_code: actionCode,
    state,
    state_updated_at: now,
    verification_method: null,
    created_at: now,
    updated_at: now,
    attributes: JSON.stringify(a),
    rule_ids: JSON.stringify(matched.map((r) => r.id)),
    priority_rule_id: decisive?.id ?? null,
    outcome: state,
  };
  // Two concurrent retries with one new idempotencyKey: the first insert wins and both answer with it.
  // The action and its first history row, together.
  const created = await d.transaction((tx) => tx.actions.insertIfAbsent(row, 'rules'));
  if (created) d.metrics?.trackOutcome(actionCode, state);
  const action = created ? { ...row, validated_at: null } : await d.actionStore.get(tenantId, row.idempotency_key);
  if (!action) throw new Error('the tracked action vanished');
  return respond(d, tenantId, userId, actionCode, action, scope, authenticators);
}

async function respond(
  d: TrackDeps,
  tenantId: string,
  userId: string,
  actionCode: string,
  action: ActionRow,
  scope: string,
  authenticators: AuthenticatorRow[],
) {
  if (action.user_id !== userId || action.action_code !== actionCode) {
    throw invalidRequest('idempotencyKey belongs to an action of another user or action code');
  }
  const token = await d.tokenService.sign({
    tenantId,
    userId,
    actionCode: action.action_code,
    idempotencyKey: action.idempotency_key,
    scope,
  });
  return {
    state: action.state,
    idempotencyKey: action.idempotency_key,
    token,
    // The redirectUrl stays on the server with the action, so a rewritten link cannot redirect the token.
    url: d.publicUrls.hostedChallengeUrl(token),
    ...enrollmentView(authenticators),
    ruleIds: JSON.parse(action.rule_ids ?? '[]') as string[],
  };
}

/** Schemes that would run or read something in the pre-built UI's origin instead of leaving it. */
const SCRIPT_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'blob:', 'file:']);

/**
 * The pre-built UI sends the user, with a token, to this URL: it must be absolute (an app's https page,
 * or a native scheme such as `authsignal://auth`), and never a scheme that runs code.
 */
function checkRedirectUrl(value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch (err) {
    throw invalidRequest('redirectUrl must be an absolute URL, for example https://app.example.com/callback', {
      cause: err,
    });
  }
  if (SCRIPT_SCHEMES.has(url.protocol)) throw invalidRequest(`redirectUrl may not use the ${url.protocol} scheme`);
}

/** The token's scope: what track was asked for, and always read:authenticators. */
function scopeOf(scope: unknown): string {
  const scopes = requestScopes(scope);
  scopes.add('read:authenticators');
  return formatScopes(scopes);
}

async function velocityCounts(
  d: TrackDeps,
  tenantId: string,
  userId: string,
  code: string,
  rules: CompiledRule[],
  now: number,
) {
  const windows = [...new Set(rules.flatMap((r) => r.velocityWindows))];
  const counts = await Promise.all(
    windows.map((minutes) => d.actionStore.countSince(tenantId, userId, code, now - minutes * 60_000)),
  );
  return Object.fromEntries(windows.map((minutes, i) => [`sameActionLast${minutes}Minutes`, counts[i] ?? 0]));
}

import type { Config } from '../../config.js';
import { ApiError, invalidRequest } from '../../errors.js';
import type { Clock } from '../../lib/clock.js';
import { maskPhone } from '../../lib/phone.js';
import type { Random } from '../../lib/random.js';
import { phoneInput } from '../users/phone-input.js';
import type { ProviderConfig, SmsConfigService } from './config-service.js';
import type { SmsDispatcher } from './dispatcher.js';
import { testResultInWords } from './plain-words.js';
import { providerDefinition } from './providers/index.js';

export interface ProviderTestDeps {
  config: Readonly<{ sms: Pick<Config['sms'], 'appName'> }>;
  clock: Clock;
  random: Random;
  smsProviders: Pick<SmsConfigService, 'list' | 'parseDraft'>;
  smsDispatcher: Pick<SmsDispatcher, 'sendThrough'>;
}

/**
 * `POST /v1/management/sms-providers/test`: sends a real test message through one provider, chosen by
 * its index in the tenant's list (default 0) or given whole as an unsaved config (whose blank secrets,
 * with the `id` of a stored provider, are that provider's), and reports how it answered, in plain words too. Retries apply; failover and the circuit breaker do not, since the point is this provider.
 */
export async function testProvider(deps: ProviderTestDeps, tenantId: string, phoneNumber: string, choice: unknown) {
  const phone = phoneInput(phoneNumber);
  const config = await chosenConfig(deps, tenantId, choice);
  const now = deps.clock.now();
  const id = `test-${deps.random.uuid()}`;
  const { result, error, attempts } = await deps.smsDispatcher.sendThrough(config, {
    tenantId,
    challengeId: id,
    sendId: id,
    to: phone.e164,
    body: `This is a test message from ${deps.config.sms.appName}, sent by Sigil to check its SMS provider.`,
    code: '000000',
    userId: null,
    idempotencyKey: id,
    actionCode: 'sms-provider-test',
    locale: null,
    expiresAt: now + 10 * 60_000,
  });
  const title = providerDefinition(config.type)?.title ?? config.type;
  // The vendor's own words may echo the number: shown masked, as everywhere else.
  const said = error?.message.split(phone.e164).join(maskPhone(phone.e164));
  return {
    provider: config.type,
    outcome: result ? 'accepted' : 'failed',
    message: testResultInWords(title, result, error, said),
    ...(result ? { providerMessageId: result.providerMessageId } : {}),
    ...(error ? { error: { kind: error.kind, reason: error.reason, message: error.message } } : {}),
    attempts: attempts.map((a) => ({
      attempt: a.attempt,
      outcome: a.outcome,
      error: a.error,
      providerMessageId: a.provider_message_id,
      latencyMs: a.latency_ms,
    })),
  };
}

async function chosenConfig(deps: ProviderTestDeps, tenantId: string, choice: unknown): Promise<ProviderConfig> {
  if (choice === undefined || typeof choice === 'number') {
    const index = choice ?? 0;
    const list = await deps.smsProviders.list(tenantId);
    const config = Number.isInteger(index) ? list[index] : undefined;
    if (!config) {
      throw new ApiError(
        'invalid_request',
        `provider must be the index of a configured provider (0 to ${list.length - 1})`,
      );
    }
    return config;
  }
  if (typeof choice === 'object' && choice !== null && !Array.isArray(choice))
    return deps.smsProviders.parseDraft(tenantId, choice, 'provider');
  throw invalidRequest('provider must be an index into the configured providers, or a provider config object');
}

import type { ProviderConfig, SmsConfigService } from './config-service.js';
import type { SmsDispatcher } from './dispatcher.js';
import { reasonInWords } from './plain-words.js';
import { providerDefinition } from './providers/index.js';

export interface ProviderHealthDeps {
  smsProviders: Pick<SmsConfigService, 'list'>;
  smsDispatcher: Pick<SmsDispatcher, 'health'>;
}

/**
 * `GET /v1/management/sms-providers/health`: each configured provider's circuit breaker in this
 * process, with its last failure in plain words. Breakers live per process, so each node answers for
 * itself; a provider no message has tried yet is `closed`.
 */
export async function providerHealth(deps: ProviderHealthDeps, tenantId: string) {
  const configs = await deps.smsProviders.list(tenantId);
  const health = deps.smsDispatcher.health(tenantId, configs);
  return configs.map((config, index) => {
    const h = health[index] ?? { breaker: 'closed' as const, lastFailureAt: null, lastReason: null };
    const title = providerDefinition(config.type)?.title ?? config.type;
    return {
      index,
      id: config.id ?? `p${index}`,
      type: config.type,
      name: nameOf(configs, index, title),
      breaker: h.breaker,
      lastFailureAt: h.lastFailureAt === null ? null : new Date(h.lastFailureAt).toISOString(),
      lastError: h.lastReason === null ? null : `${title} ${reasonInWords(h.lastReason)}.`,
    };
  });
}

/** The vendor's name, numbered when the list holds that vendor more than once: `Twilio`, `Twilio (2)`. */
function nameOf(configs: ProviderConfig[], index: number, title: string): string {
  const type = configs[index]?.type;
  const same = configs.filter((c) => c.type === type);
  if (same.length < 2) return title;
  return `${title} (${configs.slice(0, index + 1).filter((c) => c.type === type).length})`;
}

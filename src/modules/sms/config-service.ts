import type { Config } from '../../config.js';
import { ApiError, invalidRequest } from '../../errors.js';
import type { Clock } from '../../lib/clock.js';
import type { Keyring } from '../../lib/crypto.js';
import { TtlCache } from '../../lib/ttl-cache.js';
import { providerDefinition, providerTypes } from './providers/index.js';
import type { ParseRules } from './providers/provider.js';
import type { SmsStore } from './store.js';

export type ProviderConfig = { type: string } & Record<string, unknown>;

const MAX_PROVIDERS = 10;

/**
 * A tenant's ordered list of SMS providers. Stored encrypted as one document, because vendor configs
 * carry credentials. Without a stored list, development uses the dev provider and production has none.
 */
export class SmsConfigService {
  private readonly cache: TtlCache<ProviderConfig[]>;
  private readonly rules: ParseRules;

  constructor(
    private readonly store: SmsStore,
    private readonly keyring: Keyring,
    config: Readonly<Config>,
    private readonly clock: Clock,
  ) {
    this.cache = new TtlCache(config.authCacheTtlMs, () => clock.now());
    this.rules = { production: config.env === 'production', allowLoopback: config.sms.webhookAllowLoopback };
  }

  /** Validates every entry (errors name the entry and field) and replaces the tenant's list. */
  async replace(tenantId: string, body: unknown): Promise<ProviderConfig[]> {
    const list = (body as { providers?: unknown } | null)?.providers;
    if (!Array.isArray(list)) throw invalidRequest('providers must be an array');
    if (list.length > MAX_PROVIDERS) throw invalidRequest(`providers may list at most ${MAX_PROVIDERS} entries`);
    const parsed = list.map((raw, i) => this.parseOne(raw, `providers[${i}]`));
    const now = this.clock.now();
    const providers_enc = this.keyring.encrypt(JSON.stringify(parsed), context(tenantId));
    await this.store.putProvidersDocument(tenantId, providers_enc, now);
    this.cache.delete(tenantId);
    return parsed;
  }

  /** Validates one provider config; errors name it by `label` and the bad field. */
  parseOne(raw: unknown, label: string): ProviderConfig {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw invalidRequest(`${label} must be an object`);
    const definition = providerDefinition((raw as { type?: unknown }).type);
    if (!definition) throw invalidRequest(`${label}.type must be one of: ${providerTypes().join(', ')}`);
    try {
      return definition.parse(raw as Record<string, unknown>, this.rules) as ProviderConfig;
    } catch (err) {
      if (err instanceof ApiError) throw new ApiError(err.code, `${label}: ${err.description}`, { cause: err });
      throw err;
    }
  }

  async list(tenantId: string): Promise<ProviderConfig[]> {
    return this.cache.get(tenantId, async () => {
      const document = await this.store.providersDocument(tenantId);
      if (document) return JSON.parse(this.keyring.decrypt(document, context(tenantId))) as ProviderConfig[];
      return this.rules.production ? [] : [{ type: 'dev' }];
    });
  }

  /** The list as an operator may see it: credentials masked. */
  async masked(tenantId: string): Promise<Record<string, unknown>[]> {
    return (await this.list(tenantId)).map((c) => providerDefinition(c.type)?.mask(c) ?? { type: c.type });
  }
}

const context = (tenantId: string) => `tenant:${tenantId}:sms-providers`;

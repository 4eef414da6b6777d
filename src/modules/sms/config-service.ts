import type { Config } from '../../config.js';
import { ApiError, invalidRequest } from '../../errors.js';
import type { Clock } from '../../lib/clock.js';
import type { Keyring } from '../../lib/crypto.js';
import { TtlCache } from '../../lib/ttl-cache.js';
import type { Db } from '../../storage/db.js';
import { providerDefinition, providerTypes } from './providers/index.js';

export type ProviderConfig = { type: string } & Record<string, unknown>;

const MAX_PROVIDERS = 10;

/**
 * A tenant's ordered list of SMS providers. Stored encrypted as one document, because vendor configs
 * carry credentials. Without a stored list, development uses the dev provider and production has none.
 */
export class SmsConfigService {
  private readonly cache: TtlCache<ProviderConfig[]>;

  constructor(
    private readonly db: Db,
    private readonly keyring: Keyring,
    private readonly config: Config,
    private readonly clock: Clock,
  ) {
    this.cache = new TtlCache(config.authCacheTtlMs, () => clock.now());
  }

  /** Validates every entry (errors name the entry and field) and replaces the tenant's list. */
  async replace(tenantId: string, body: unknown): Promise<ProviderConfig[]> {
    const list = (body as { providers?: unknown } | null)?.providers;
    if (!Array.isArray(list)) throw invalidRequest('providers must be an array');
    if (list.length > MAX_PROVIDERS) throw invalidRequest(`providers may list at most ${MAX_PROVIDERS} entries`);
    const parsed = list.map((raw, i) => this.parseOne(raw, `providers[${i}]`));
    const now = this.clock.now();
    const providers_enc = this.keyring.encrypt(JSON.stringify(parsed), context(tenantId));
    await this.db
      .insertInto('sms_provider_configs')
      .values({ tenant_id: tenantId, providers_enc, updated_at: now })
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ providers_enc, updated_at: now }))
      .execute();
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
      return definition.parse(raw as Record<string, unknown>, this.config) as ProviderConfig;
    } catch (err) {
      if (err instanceof ApiError) throw new ApiError(err.code, `${label}: ${err.description}`, { cause: err });
      throw err;
    }
  }

  async list(tenantId: string): Promise<ProviderConfig[]> {
    return this.cache.get(tenantId, async () => {
      const row = await this.db
        .selectFrom('sms_provider_configs')
        .select('providers_enc')
        .where('tenant_id', '=', tenantId)
        .executeTakeFirst();
      if (row) return JSON.parse(this.keyring.decrypt(row.providers_enc, context(tenantId))) as ProviderConfig[];
      return this.config.env === 'production' ? [] : [{ type: 'dev' }];
    });
  }

  /** The list as an operator may see it: credentials masked. */
  async masked(tenantId: string): Promise<Record<string, unknown>[]> {
    return (await this.list(tenantId)).map((c) => providerDefinition(c.type)?.mask(c) ?? { type: c.type });
  }
}

const context = (tenantId: string) => `tenant:${tenantId}:sms-providers`;

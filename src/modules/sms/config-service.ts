import type { Config } from '../../config.js';
import { ApiError, invalidRequest } from '../../errors.js';
import type { Clock } from '../../lib/clock.js';
import type { Keyring } from '../../lib/crypto.js';
import type { Random } from '../../lib/random.js';
import { TtlCache } from '../../lib/ttl-cache.js';
import { editedProviders, withKeptSecrets } from './provider-edits.js';
import { providerDefinition, providerDefinitions, providerTypes } from './providers/index.js';
import type { ParseRules } from './providers/provider.js';
import { secretFieldsOf } from './providers/schema.js';
import type { SmsStore } from './store.js';

/** A stored provider config. `id` is stable across saves (older documents get `p<index>` when read). */
export type ProviderConfig = { type: string; id?: string } & Record<string, unknown>;

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
    private readonly random: Pick<Random, 'uuid'>,
  ) {
    this.cache = new TtlCache(config.authCacheTtlMs, () => clock.now());
    this.rules = { production: config.env === 'production', allowLoopback: config.sms.webhookAllowLoopback };
  }

  /**
   * Validates every entry (errors name the entry and field) and replaces the tenant's list. An entry
   * that edits a stored provider (by `id`, else by position and type: provider-edits.ts) keeps that
   * provider's id, and its stored secret for each secret field left out, empty or sent back masked.
   */
  async replace(tenantId: string, body: unknown): Promise<ProviderConfig[]> {
    const list = (body as { providers?: unknown } | null)?.providers;
    if (!Array.isArray(list)) throw invalidRequest('providers must be an array');
    if (list.length > MAX_PROVIDERS) throw invalidRequest(`providers may list at most ${MAX_PROVIDERS} entries`);
    const stored = await this.read(tenantId); // afresh: a secret kept must be the one stored now
    const edited = editedProviders(list, stored);
    const parsed = list.map((raw, i) => {
      const base = edited[i];
      const config = this.parseOne(withKeptSecrets(raw, base, this.rules), `providers[${i}]`);
      return { ...config, id: base?.id ?? `prv_${this.random.uuid()}` };
    });
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

  /**
   * An unsaved config for a one-off use (the provider test). With the `id` of a stored provider of its
   * type, the secrets it leaves blank are that provider's, as on save.
   */
  async parseDraft(tenantId: string, raw: unknown, label: string): Promise<ProviderConfig> {
    const id = (raw as { id?: unknown } | null)?.id;
    const base = typeof id === 'string' ? (await this.list(tenantId)).find((c) => c.id === id) : undefined;
    return this.parseOne(withKeptSecrets(raw, base, this.rules), label);
  }

  async list(tenantId: string): Promise<ProviderConfig[]> {
    return this.cache.get(tenantId, () => this.read(tenantId));
  }

  /** The list as an operator may see it: credentials masked. */
  async masked(tenantId: string): Promise<Record<string, unknown>[]> {
    return (await this.list(tenantId)).map((c) => ({
      ...(providerDefinition(c.type)?.mask(c) ?? { type: c.type }),
      ...(c.id ? { id: c.id } : {}),
    }));
  }

  /** Each provider type that can be configured here, with its config schema and its secret fields. */
  schemas() {
    return Object.values(providerDefinitions)
      .filter((d) => !(this.rules.production && d.type === 'dev'))
      .map((d) => {
        const schema = d.schema(this.rules);
        return {
          type: d.type,
          title: d.title,
          schema,
          secretFields: secretFieldsOf(schema),
          receipts: !!d.readReceipt,
          receiptHelp: d.receiptHelp ?? null,
        };
      });
  }

  private async read(tenantId: string): Promise<ProviderConfig[]> {
    const document = await this.store.providersDocument(tenantId);
    if (!document) return this.rules.production ? [] : [{ type: 'dev', id: 'p0' }];
    const list = JSON.parse(this.keyring.decrypt(document, context(tenantId))) as ProviderConfig[];
    // Documents saved before ids existed: the position stands in, until the next save stores real ids.
    return list.map((c, i) => (c.id ? c : { ...c, id: `p${i}` }));
  }
}

const context = (tenantId: string) => `tenant:${tenantId}:sms-providers`;

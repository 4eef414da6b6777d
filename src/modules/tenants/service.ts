import type { Clock } from '../../lib/clock.js';
import { type Keyring, sha256Hex } from '../../lib/crypto.js';
import type { Random } from '../../lib/random.js';
import { TtlCache } from '../../lib/ttl-cache.js';
import type { ApiKeyKind, ApiKeyRow } from '../../storage/schema.js';
import type { TokenService } from '../tokens/service.js';
import type { TenantStore } from './store.js';

export interface CreatedTenant {
  tenantId: string;
  name: string;
  /** Shown once, never stored in plain text. */
  apiSecretKey: string;
  managementSecretKey: string;
}

const KEY_PREFIX: Record<ApiKeyKind, string> = { server: 'sk_', management: 'mk_' };

export class TenantService {
  private readonly authCache: TtlCache<string | undefined>;
  private readonly existence: TtlCache<string | undefined>;

  constructor(
    private readonly store: TenantStore,
    private readonly tokens: TokenService,
    private readonly keyring: Keyring,
    private readonly clock: Clock,
    private readonly random: Random,
    authCacheTtlMs: number,
  ) {
    this.authCache = new TtlCache(authCacheTtlMs, () => clock.now());
    this.existence = new TtlCache(authCacheTtlMs, () => clock.now());
  }

  async create(name: string): Promise<CreatedTenant> {
    const tenantId = this.random.uuid();
    const now = this.clock.now();
    const apiSecretKey = KEY_PREFIX.server + this.random.token(32);
    const managementSecretKey = KEY_PREFIX.management + this.random.token(32);
    const key = (kind: ApiKeyKind, secret: string): ApiKeyRow => ({
      id: this.random.uuid(),
      tenant_id: tenantId,
      kind,
      key_hash: sha256Hex(secret),
      // The server key signs outgoing webhooks (X-Signature-V2), so it must be recoverable: encrypted, never plain.
      key_enc: kind === 'server' ? this.keyring.encrypt(secret, apiKeyContext(tenantId)) : null,
      created_at: now,
      revoked_at: null,
    });
    await this.store.insert({ id: tenantId, name, created_at: now }, [
      key('server', apiSecretKey),
      key('management', managementSecretKey),
    ]);
    await this.tokens.createSigningKey(tenantId);
    return { tenantId, name, apiSecretKey, managementSecretKey };
  }

  /**
   * The tenant that a secret belongs to. Lookups are cached briefly to keep a database round trip off
   * every request; a revoked key therefore stops working on every node within `authCacheTtlMs`.
   */
  async authenticate(kind: ApiKeyKind, secret: string): Promise<string | undefined> {
    if (secret.length > 256) return undefined;
    const hash = sha256Hex(secret);
    return this.authCache.get(`${kind}:${hash}`, () => this.store.tenantIdForKey(kind, hash));
  }

  /** The tenant's active API secret keys, newest first: the keys that sign outgoing webhooks. */
  async serverSecrets(tenantId: string): Promise<string[]> {
    const rows = await this.store.activeServerKeys(tenantId);
    return rows.flatMap((row) => (row.key_enc ? [this.keyring.decrypt(row.key_enc, apiKeyContext(tenantId))] : []));
  }

  /** Whether a tenant exists, cached like key lookups (the Client API's Basic auth names only the tenant). */
  async exists(tenantId: string): Promise<boolean> {
    return (
      (await this.existence.get(tenantId, async () => ((await this.store.get(tenantId)) ? tenantId : undefined))) !==
      undefined
    );
  }

  count(): Promise<number> {
    return this.store.count();
  }

  /** The names of the given tenants, by ID (the portal's tenant switcher). */
  async names(tenantIds: string[]): Promise<Map<string, string>> {
    return new Map((await this.store.list(tenantIds)).map((t) => [t.id, t.name]));
  }

  /** Every tenant, oldest first (at most 1,000): the CLI's choice when a command names none. */
  async list(): Promise<{ tenantId: string; name: string }[]> {
    return (await this.store.list()).map((t) => ({ tenantId: t.id, name: t.name }));
  }
}

const apiKeyContext = (tenantId: string) => `tenant:${tenantId}:api-key`;

import { ApiError } from '../../errors.js';
import { type Clock, iso } from '../../lib/clock.js';
import { type Keyring, sha256Hex } from '../../lib/crypto.js';
import type { Random } from '../../lib/random.js';
import { TtlCache } from '../../lib/ttl-cache.js';
import type { ApiKeyKind, ApiKeyRow } from '../../storage/schema.js';
import type { TokenService } from '../tokens/service.js';
import {
  type ApiKeyView,
  type CreatedApiKey,
  KEY_PREFIX,
  keyHint,
  keyView,
  LAST_USED_WRITE_INTERVAL_MS,
  MAX_LIVE_KEYS_PER_KIND,
} from './api-keys.js';
import type { KeyChangeRefusal, KeyLookup, TenantStore } from './store.js';

export interface CreatedTenant {
  tenantId: string;
  name: string;
  /** Shown once, never stored in plain text. */
  apiSecretKey: string;
  managementSecretKey: string;
}

/** The key that authenticated a request, so that the audit log can name it. */
export interface AuthenticatedKey {
  tenantId: string;
  keyId: string;
}

export class TenantService {
  private readonly authCache: TtlCache<KeyLookup | undefined>;
  private readonly existence: TtlCache<string | undefined>;
  /** When this node last wrote each key's last_used_at: the write happens at most once a minute per key. */
  private readonly lastUseWritten = new Map<string, number>();

  constructor(
    private readonly store: TenantStore,
    private readonly tokens: TokenService,
    private readonly keyring: Keyring,
    private readonly clock: Clock,
    private readonly random: Random,
    authCacheTtlMs: number,
    /** Told when recording a key's use fails; the request it authenticated goes on regardless. */
    private readonly onUseNotRecorded: (err: unknown) => void = () => {},
  ) {
    this.authCache = new TtlCache(authCacheTtlMs, () => clock.now());
    this.existence = new TtlCache(authCacheTtlMs, () => clock.now());
  }

  async create(name: string): Promise<CreatedTenant> {
    const tenantId = this.random.uuid();
    const server = this.newKey(tenantId, 'server', null);
    const management = this.newKey(tenantId, 'management', null);
    await this.store.insert({ id: tenantId, name, created_at: this.clock.now() }, [server.row, management.row]);
    await this.tokens.createSigningKey(tenantId);
    return { tenantId, name, apiSecretKey: server.secret, managementSecretKey: management.secret };
  }

  /** The tenant that a secret belongs to (kept for callers that need no key ID). */
  async authenticate(kind: ApiKeyKind, secret: string): Promise<string | undefined> {
    return (await this.authenticateKey(kind, secret))?.tenantId;
  }

  /**
   * The tenant and key that a secret belongs to. Lookups are cached briefly to keep a database round trip
   * off every request; a revoked key therefore stops working on every node within `authCacheTtlMs`. The
   * end of a grace period is checked against the clock on every call, cached or not, so it is exact.
   */
  async authenticateKey(kind: ApiKeyKind, secret: string): Promise<AuthenticatedKey | undefined> {
    if (secret.length > 256) return undefined;
    const hash = sha256Hex(secret);
    const key = await this.authCache.get(cacheKey(kind, hash), () => this.store.keyForHash(kind, hash));
    if (!key) return undefined;
    const now = this.clock.now();
    if (key.expiresAt !== null && key.expiresAt <= now) return undefined;
    this.noteUse(key.keyId, now);
    return { tenantId: key.tenantId, keyId: key.keyId };
  }

  /**
   * Records a key's use without delaying the request: this node writes it at most once a minute per key
   * (and the statement itself skips a write another node made within the minute), never awaited.
   */
  private noteUse(keyId: string, now: number): void {
    const last = this.lastUseWritten.get(keyId);
    if (last !== undefined && now - last < LAST_USED_WRITE_INTERVAL_MS) return;
    if (this.lastUseWritten.size >= 10_000) this.lastUseWritten.clear();
    this.lastUseWritten.set(keyId, now);
    this.store.touch(keyId, now, LAST_USED_WRITE_INTERVAL_MS).catch(this.onUseNotRecorded);
  }

  /** The tenant's live API secret keys (grace periods included), newest first: each signs outgoing webhooks. */
  async serverSecrets(tenantId: string): Promise<string[]> {
    const rows = await this.store.activeServerKeys(tenantId, this.clock.now());
    return rows.flatMap((row) => (row.key_enc ? [this.keyring.decrypt(row.key_enc, apiKeyContext(tenantId))] : []));
  }

  /** Whether a tenant exists, cached like key lookups (the Client API's Basic auth names only the tenant). */
  async exists(tenantId: string): Promise<boolean> {
    return (
      (await this.existence.get(tenantId, async () => ((await this.store.get(tenantId)) ? tenantId : undefined))) !==
      undefined
    );
  }

  async describe(tenantId: string): Promise<{ tenantId: string; name: string; createdAt: string }> {
    const row = await this.store.get(tenantId);
    if (!row) throw new ApiError('not_found', 'The tenant does not exist.');
    return { tenantId: row.id, name: row.name, createdAt: iso(row.created_at) };
  }

  count(): Promise<number> {
    return this.store.count();
  }

  /** Every API key of the tenant, newest first, revoked and expired ones included; never a secret. */
  async listKeys(tenantId: string): Promise<ApiKeyView[]> {
    const now = this.clock.now();
    return (await this.store.listKeys(tenantId)).map((row) => keyView(row, now));
  }

  async createKey(tenantId: string, input: { kind: ApiKeyKind; name?: string | undefined }): Promise<CreatedApiKey> {
    const key = this.newKey(tenantId, input.kind, input.name ?? null);
    if (!(await this.store.addKey(key.row, MAX_LIVE_KEYS_PER_KIND))) throw refusal('too_many');
    return { ...keyView(key.row, key.row.created_at), secret: key.secret };
  }

  /**
   * Replaces an active key by a new one of its kind. With a grace period the old key works until it ends
   * (both work meanwhile); with none it is revoked at once, which the last active management key may not be.
   */
  async rotateKey(
    tenantId: string,
    keyId: string,
    input: { gracePeriodMinutes?: number | undefined; name?: string | undefined },
  ): Promise<CreatedApiKey> {
    const old = await this.store.getKey(tenantId, keyId);
    if (!old) throw refusal('missing');
    const key = this.newKey(tenantId, old.kind, input.name ?? old.name);
    const now = key.row.created_at;
    const graceMs = (input.gracePeriodMinutes ?? 0) * 60_000;
    const end = graceMs > 0 ? { expiresAt: now + graceMs } : { revokeAt: now };
    const change = await this.store.rotate(tenantId, keyId, key.row, end, MAX_LIVE_KEYS_PER_KIND);
    if (!change.ok) throw refusal(change.reason);
    this.authCache.delete(cacheKey(old.kind, old.key_hash));
    return { ...keyView(key.row, now), secret: key.secret };
  }

  /** Revokes a key now (on other nodes within `authCacheTtlMs`). Revoking one already ended changes nothing. */
  async revokeKey(tenantId: string, keyId: string): Promise<void> {
    const change = await this.store.revoke(tenantId, keyId, this.clock.now());
    if (!change.ok && change.reason !== 'not_active') throw refusal(change.reason);
    if (change.ok) this.authCache.delete(cacheKey(change.before.kind, change.before.key_hash));
  }

  private newKey(tenantId: string, kind: ApiKeyKind, name: string | null): { row: ApiKeyRow; secret: string } {
    const secret = KEY_PREFIX[kind] + this.random.token(32);
    const row: ApiKeyRow = {
      id: this.random.uuid(),
      tenant_id: tenantId,
      kind,
      key_hash: sha256Hex(secret),
      // The server key signs outgoing webhooks (X-Signature-V2), so it must be recoverable: encrypted, never plain.
      key_enc: kind === 'server' ? this.keyring.encrypt(secret, apiKeyContext(tenantId)) : null,
      created_at: this.clock.now(),
      revoked_at: null,
      name,
      hint: keyHint(kind, secret),
      expires_at: null,
      last_used_at: null,
    };
    return { row, secret };
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
const cacheKey = (kind: ApiKeyKind, hash: string) => `${kind}:${hash}`;

function refusal(reason: KeyChangeRefusal): ApiError {
  switch (reason) {
    case 'missing':
      return new ApiError('not_found', 'The API key does not exist.');
    case 'not_active':
      return new ApiError('conflict', 'Only an active key can be rotated; this one is revoked, expired or rotated.');
    case 'last_management_key':
      return new ApiError(
        'conflict',
        'This is the last active management key: revoking it would lock automation out. Create another ' +
          'management key first, or rotate this one with a grace period.',
      );
    case 'too_many':
      return new ApiError(
        'conflict',
        `A tenant may hold at most ${MAX_LIVE_KEYS_PER_KIND} live keys of a kind; revoke one first.`,
      );
  }
}

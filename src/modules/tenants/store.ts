import { PostgresAdapter } from 'kysely';
import type { Db } from '../../storage/db.js';
import type { ApiKeyKind, ApiKeyRow, TenantRow } from '../../storage/schema.js';

/** The key a secret's hash names: who owns it, and until when it works (null: until revoked). */
export interface KeyLookup {
  keyId: string;
  tenantId: string;
  expiresAt: number | null;
}

/** Why a change to a tenant's keys was refused; the service turns each into an ApiError. */
export type KeyChangeRefusal = 'missing' | 'not_active' | 'last_management_key' | 'too_many';

export type KeyChange = { ok: true; before: ApiKeyRow } | { ok: false; reason: KeyChangeRefusal };

/** What a rotation does to the old key: revoke it now, or let it work until `expiresAt`. */
export type RotationEnd = { revokeAt: number } | { expiresAt: number };

export class TenantStore {
  constructor(private readonly db: Db) {}

  async insert(tenant: TenantRow, keys: ApiKeyRow[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('tenants').values(tenant).execute();
      await trx.insertInto('api_keys').values(keys).execute();
    });
  }

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom('tenants')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async get(tenantId: string): Promise<TenantRow | undefined> {
    return this.db.selectFrom('tenants').selectAll().where('id', '=', tenantId).executeTakeFirst();
  }

  /** The unrevoked key of this kind with this hash; the caller checks its expiry against its clock. */
  async keyForHash(kind: ApiKeyKind, keyHash: string): Promise<KeyLookup | undefined> {
    const row = await this.db
      .selectFrom('api_keys')
      .select(['id', 'tenant_id', 'expires_at'])
      .where('key_hash', '=', keyHash)
      .where('kind', '=', kind)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return row && { keyId: row.id, tenantId: row.tenant_id, expiresAt: row.expires_at };
  }

  /** The server keys that still work at `now` (grace periods included), newest first. */
  async activeServerKeys(tenantId: string, now: number): Promise<Pick<ApiKeyRow, 'id' | 'key_enc'>[]> {
    return this.db
      .selectFrom('api_keys')
      .select(['id', 'key_enc'])
      .where('tenant_id', '=', tenantId)
      .where('kind', '=', 'server')
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .orderBy('created_at', 'desc')
      .execute();
  }

  async listKeys(tenantId: string): Promise<ApiKeyRow[]> {
    return this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .execute();
  }

  async getKey(tenantId: string, keyId: string): Promise<ApiKeyRow | undefined> {
    return this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', keyId)
      .executeTakeFirst();
  }

  /** Records a use; a no-op when another node recorded one less than `intervalMs` ago. */
  async touch(keyId: string, now: number, intervalMs: number): Promise<void> {
    await this.db
      .updateTable('api_keys')
      .set({ last_used_at: now })
      .where('id', '=', keyId)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', now - intervalMs)]))
      .execute();
  }

  /** Adds a key unless the tenant already has `maxLive` live keys of its kind. */
  async addKey(row: ApiKeyRow, maxLive: number): Promise<boolean> {
    return this.lockedForTenant(row.tenant_id, async (trx) => {
      if ((await liveCount(trx, row.tenant_id, row.kind, row.created_at)) >= maxLive) return false;
      await trx.insertInto('api_keys').values(row).execute();
      return true;
    });
  }

  /**
   * Replaces an active key by `replacement`, and ends the old one as `end` says. Refused when the key is
   * not the tenant's, is not active (revoked, expired, or already in a grace period), when revoking it now
   * would leave no other active management key, or when the kind already has `maxLive` live keys.
   */
  async rotate(
    tenantId: string,
    keyId: string,
    replacement: ApiKeyRow,
    end: RotationEnd,
    maxLive: number,
  ): Promise<KeyChange> {
    const now = replacement.created_at;
    return this.lockedForTenant(tenantId, async (trx): Promise<KeyChange> => {
      const before = await getKeyIn(trx, tenantId, keyId);
      if (!before || before.kind !== replacement.kind) return { ok: false, reason: 'missing' };
      if (before.revoked_at !== null || before.expires_at !== null) return { ok: false, reason: 'not_active' };
      const revokeNow = 'revokeAt' in end;
      if (revokeNow && before.kind === 'management' && (await otherActiveManagementKeys(trx, before)) === 0) {
        return { ok: false, reason: 'last_management_key' };
      }
      // Revoked now, the old key frees its place; in a grace period it still holds one.
      if ((await liveCount(trx, tenantId, before.kind, now)) - (revokeNow ? 1 : 0) >= maxLive) {
        return { ok: false, reason: 'too_many' };
      }
      await trx.insertInto('api_keys').values(replacement).execute();
      await trx
        .updateTable('api_keys')
        .set(revokeNow ? { revoked_at: end.revokeAt } : { expires_at: end.expiresAt })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', keyId)
        .execute();
      return { ok: true, before };
    });
  }

  /**
   * Revokes a key now. A key already revoked or expired is left as it is (`not_active`); the last active
   * management key is kept, since the tenant's automation would lose its way in.
   */
  async revoke(tenantId: string, keyId: string, now: number): Promise<KeyChange> {
    return this.lockedForTenant(tenantId, async (trx): Promise<KeyChange> => {
      const before = await getKeyIn(trx, tenantId, keyId);
      if (!before) return { ok: false, reason: 'missing' };
      if (before.revoked_at !== null || (before.expires_at !== null && before.expires_at <= now)) {
        return { ok: false, reason: 'not_active' };
      }
      if (before.kind === 'management' && (await otherActiveManagementKeys(trx, before)) === 0) {
        return { ok: false, reason: 'last_management_key' };
      }
      await trx
        .updateTable('api_keys')
        .set({ revoked_at: now })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', keyId)
        .execute();
      return { ok: true, before };
    });
  }

  /**
   * Runs `work` in a transaction holding the tenant's row lock (PostgreSQL), so that two concurrent key
   * changes cannot each see the other's key as the one that remains and together revoke both. SQLite has
   * one writer, which serialises them already.
   */
  private lockedForTenant<T>(tenantId: string, work: (trx: Db) => Promise<T>): Promise<T> {
    const rowLocks = this.db.getExecutor().adapter instanceof PostgresAdapter;
    return this.db.transaction().execute(async (trx) => {
      await trx
        .selectFrom('tenants')
        .select('id')
        .where('id', '=', tenantId)
        .$if(rowLocks, (q) => q.forUpdate())
        .executeTakeFirst();
      return work(trx);
    });
  }

  /** Tenants by ID, for showing names (the portal's memberships); oldest first without IDs. */
  async list(tenantIds?: string[]): Promise<TenantRow[]> {
    if (tenantIds?.length === 0) return [];
    return this.db
      .selectFrom('tenants')
      .selectAll()
      .$if(tenantIds !== undefined, (q) => q.where('id', 'in', tenantIds ?? []))
      .orderBy('created_at')
      .limit(1000)
      .execute();
  }
}

function getKeyIn(trx: Db, tenantId: string, keyId: string): Promise<ApiKeyRow | undefined> {
  return trx
    .selectFrom('api_keys')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', keyId)
    .executeTakeFirst();
}

/** Keys of a kind that still authenticate at `now`, grace periods included. */
async function liveCount(trx: Db, tenantId: string, kind: ApiKeyKind, now: number): Promise<number> {
  const row = await trx
    .selectFrom('api_keys')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('kind', '=', kind)
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Management keys other than `key` that are active with no end set (a key in a grace period will end). */
async function otherActiveManagementKeys(trx: Db, key: ApiKeyRow): Promise<number> {
  const row = await trx
    .selectFrom('api_keys')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('tenant_id', '=', key.tenant_id)
    .where('kind', '=', 'management')
    .where('id', '<>', key.id)
    .where('revoked_at', 'is', null)
    .where('expires_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

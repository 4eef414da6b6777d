import type { Db } from '../../storage/db.js';
import type { ApiKeyKind, ApiKeyRow, TenantRow } from '../../storage/schema.js';

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

  /** The tenant that owns an active key of this kind, found by the key's hash. */
  async tenantIdForKey(kind: ApiKeyKind, keyHash: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('api_keys')
      .select('tenant_id')
      .where('key_hash', '=', keyHash)
      .where('kind', '=', kind)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return row?.tenant_id;
  }

  async activeServerKeys(tenantId: string): Promise<Pick<ApiKeyRow, 'id' | 'key_enc'>[]> {
    return this.db
      .selectFrom('api_keys')
      .select(['id', 'key_enc'])
      .where('tenant_id', '=', tenantId)
      .where('kind', '=', 'server')
      .where('revoked_at', 'is', null)
      .orderBy('created_at', 'desc')
      .execute();
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

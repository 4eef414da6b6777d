import type { Db } from '../../storage/db.js';
import type { SigningKeyRow } from '../../storage/schema.js';

export class SigningKeyStore {
  constructor(private readonly db: Db) {}

  async insert(row: SigningKeyRow): Promise<void> {
    await this.db.insertInto('signing_keys').values(row).execute();
  }

  async newestActive(tenantId: string): Promise<SigningKeyRow | undefined> {
    return this.db
      .selectFrom('signing_keys')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('retired_at', 'is', null)
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  async byKid(kid: string): Promise<SigningKeyRow | undefined> {
    return this.db.selectFrom('signing_keys').selectAll().where('kid', '=', kid).executeTakeFirst();
  }

  async retire(tenantId: string, kid: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('signing_keys')
      .set({ retired_at: now })
      .where('tenant_id', '=', tenantId)
      .where('kid', '=', kid)
      .where('retired_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async forTenant(tenantId: string): Promise<SigningKeyRow[]> {
    return this.db
      .selectFrom('signing_keys')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('retired_at', 'is', null)
      .orderBy('created_at', 'desc')
      .execute();
  }
}

import { PostgresAdapter } from 'kysely';
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
      .orderBy('kid')
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

  /** Every key of the tenant, retired ones included, newest first. */
  async allForTenant(tenantId: string): Promise<SigningKeyRow[]> {
    return this.db
      .selectFrom('signing_keys')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at', 'desc')
      .orderBy('kid')
      .execute();
  }

  /**
   * Retires a key unless it is the tenant's only active one, which would leave nothing to sign tokens
   * with. The tenant's active keys are locked first (PostgreSQL; SQLite has one writer), so that two
   * concurrent retirements cannot each leave the other's key as the last and retire both.
   */
  async retireUnlessLast(
    tenantId: string,
    kid: string,
    now: number,
  ): Promise<'retired' | 'missing' | 'already' | 'last'> {
    const rowLocks = this.db.getExecutor().adapter instanceof PostgresAdapter;
    return this.db.transaction().execute(async (trx) => {
      const active = await trx
        .selectFrom('signing_keys')
        .select('kid')
        .where('tenant_id', '=', tenantId)
        .where('retired_at', 'is', null)
        .$if(rowLocks, (q) => q.forUpdate())
        .execute();
      if (!active.some((row) => row.kid === kid)) {
        const row = await trx
          .selectFrom('signing_keys')
          .select('kid')
          .where('tenant_id', '=', tenantId)
          .where('kid', '=', kid)
          .executeTakeFirst();
        return row ? 'already' : 'missing';
      }
      if (active.length <= 1) return 'last';
      await trx
        .updateTable('signing_keys')
        .set({ retired_at: now })
        .where('tenant_id', '=', tenantId)
        .where('kid', '=', kid)
        .execute();
      return 'retired';
    });
  }
}

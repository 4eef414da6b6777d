import type { Db, DbKind } from '../../storage/db.js';
import type { OperatorAccountRow, OperatorMembershipRow } from '../../storage/schema.js';
import type { Role } from './roles.js';

export interface MemberRow {
  account_id: string;
  email: string;
  role: string;
  created_at: number;
  totp_enabled_at: number | null;
}

/** Accounts, memberships and recovery codes: the operators module's own tables. */
export class OperatorAccountStore {
  constructor(
    private readonly db: Db,
    private readonly kind: DbKind,
  ) {}

  async insert(account: OperatorAccountRow, membership?: Omit<OperatorMembershipRow, 'account_id'>): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('operator_accounts').values(account).execute();
      if (membership) {
        await trx
          .insertInto('operator_memberships')
          .values({ ...membership, account_id: account.id })
          .execute();
      }
    });
  }

  byEmail(email: string): Promise<OperatorAccountRow | undefined> {
    return this.db.selectFrom('operator_accounts').selectAll().where('email', '=', email).executeTakeFirst();
  }

  byId(accountId: string): Promise<OperatorAccountRow | undefined> {
    return this.db.selectFrom('operator_accounts').selectAll().where('id', '=', accountId).executeTakeFirst();
  }

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom('operator_accounts')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async setPassword(accountId: string, passwordHash: string, now: number): Promise<void> {
    await this.db
      .updateTable('operator_accounts')
      .set({ password_hash: passwordHash, updated_at: now })
      .where('id', '=', accountId)
      .execute();
  }

  async setPendingTotp(accountId: string, secretEnc: string, now: number): Promise<void> {
    await this.db
      .updateTable('operator_accounts')
      .set({ totp_pending_enc: secretEnc, updated_at: now })
      .where('id', '=', accountId)
      .execute();
  }

  /**
   * Makes the pending secret the active one, with its first accepted time step and fresh recovery codes,
   * in one transaction; false when another request confirmed or replaced it meanwhile.
   */
  async activateTotp(accountId: string, pendingEnc: string, counter: number, codeHashes: string[], now: number) {
    return this.db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('operator_accounts')
        .set({
          totp_secret_enc: pendingEnc,
          totp_pending_enc: null,
          totp_last_counter: counter,
          totp_enabled_at: now,
          updated_at: now,
        })
        .where('id', '=', accountId)
        .where('totp_pending_enc', '=', pendingEnc)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) return false;
      await trx.deleteFrom('operator_recovery_codes').where('account_id', '=', accountId).execute();
      await trx
        .insertInto('operator_recovery_codes')
        .values(codeHashes.map((code_hash) => ({ account_id: accountId, code_hash, created_at: now, used_at: null })))
        .execute();
      return true;
    });
  }

  async disableTotp(accountId: string, now: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('operator_accounts')
        .set({
          totp_secret_enc: null,
          totp_pending_enc: null,
          totp_last_counter: null,
          totp_enabled_at: null,
          updated_at: now,
        })
        .where('id', '=', accountId)
        .execute();
      await trx.deleteFrom('operator_recovery_codes').where('account_id', '=', accountId).execute();
    });
  }

  /** Accepts a TOTP time step only if it is newer than every one accepted before: a code works once. */
  async spendTotpStep(accountId: string, counter: number): Promise<boolean> {
    const result = await this.db
      .updateTable('operator_accounts')
      .set({ totp_last_counter: counter })
      .where('id', '=', accountId)
      .where((eb) => eb.or([eb('totp_last_counter', 'is', null), eb('totp_last_counter', '<', counter)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Marks a recovery code used, once: false when it is unknown or was used before. */
  async spendRecoveryCode(accountId: string, codeHash: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('operator_recovery_codes')
      .set({ used_at: now })
      .where('account_id', '=', accountId)
      .where('code_hash', '=', codeHash)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  memberships(accountId: string): Promise<OperatorMembershipRow[]> {
    return this.db
      .selectFrom('operator_memberships')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('created_at')
      .execute();
  }

  membership(tenantId: string, accountId: string): Promise<OperatorMembershipRow | undefined> {
    return this.db
      .selectFrom('operator_memberships')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('account_id', '=', accountId)
      .executeTakeFirst();
  }

  /** Adds a membership; an existing one keeps its role unless `replace`. */
  async addMembership(row: OperatorMembershipRow, replace = false): Promise<void> {
    await this.db
      .insertInto('operator_memberships')
      .values(row)
      .onConflict((oc) =>
        replace
          ? oc.columns(['tenant_id', 'account_id']).doUpdateSet({ role: row.role })
          : oc.columns(['tenant_id', 'account_id']).doNothing(),
      )
      .execute();
  }

  members(tenantId: string): Promise<MemberRow[]> {
    return this.db
      .selectFrom('operator_memberships as m')
      .innerJoin('operator_accounts as a', 'a.id', 'm.account_id')
      .select(['m.account_id', 'a.email', 'm.role', 'm.created_at', 'a.totp_enabled_at'])
      .where('m.tenant_id', '=', tenantId)
      .orderBy('m.created_at')
      .execute();
  }

  /**
   * Changes a member's role (or removes the member, with `role` undefined) unless that would leave the
   * tenant without an owner. The tenant's owner rows are locked first on PostgreSQL, so that two owners
   * demoting each other at once cannot both succeed; SQLite runs one writer at a time anyway.
   */
  async changeMember(
    tenantId: string,
    accountId: string,
    role: Role | undefined,
  ): Promise<'changed' | 'not_found' | 'last_owner'> {
    return this.db.transaction().execute(async (trx) => {
      const owners = await trx
        .selectFrom('operator_memberships')
        .select('account_id')
        .where('tenant_id', '=', tenantId)
        .where('role', '=', 'owner')
        .$if(this.kind === 'postgres', (q) => q.forUpdate())
        .execute();
      const current = await trx
        .selectFrom('operator_memberships')
        .select('role')
        .where('tenant_id', '=', tenantId)
        .where('account_id', '=', accountId)
        .executeTakeFirst();
      if (!current) return 'not_found';
      if (current.role === 'owner' && role !== 'owner' && owners.length <= 1) return 'last_owner';
      if (role === undefined) {
        await trx
          .deleteFrom('operator_memberships')
          .where('tenant_id', '=', tenantId)
          .where('account_id', '=', accountId)
          .execute();
      } else {
        await trx
          .updateTable('operator_memberships')
          .set({ role })
          .where('tenant_id', '=', tenantId)
          .where('account_id', '=', accountId)
          .execute();
      }
      return 'changed';
    });
  }

  async isOwnerAnywhere(accountId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('operator_memberships')
      .select('tenant_id')
      .where('account_id', '=', accountId)
      .where('role', '=', 'owner')
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }
}

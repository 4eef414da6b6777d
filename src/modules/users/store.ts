import type { Db } from '../../storage/db.js';
import type { AuthenticatorRow, UserRow } from '../../storage/schema.js';
import { withPhoneReversed } from './search.js';

export type UserPatch = Partial<Omit<UserRow, 'tenant_id' | 'user_id' | 'created_at' | 'updated_at'>>;

export interface UserQuery {
  username?: string | undefined;
  email?: string | undefined;
  phoneNumber?: string | undefined;
  userId?: string | undefined;
  limit: number;
  after?: string | undefined;
}

export class UserStore {
  constructor(private readonly db: Db) {}

  async get(tenantId: string, userId: string): Promise<UserRow | undefined> {
    return this.db
      .selectFrom('users')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
  }

  /** Creates the user if needed and applies `patch`; one statement, so concurrent first sights cannot collide. */
  async upsert(tenantId: string, userId: string, given: UserPatch, now: number): Promise<UserRow> {
    const patch = withPhoneReversed(given);
    return this.db
      .insertInto('users')
      .values({
        tenant_id: tenantId,
        user_id: userId,
        email: null,
        email_verified: 0,
        phone_number: null,
        phone_number_verified: 0,
        username: null,
        display_name: null,
        custom: null,
        locale: null,
        ...patch,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.columns(['tenant_id', 'user_id']).doUpdateSet({ ...patch, updated_at: now }))
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** Deletes the user and their authenticators; deleteUser asks the other modules for their rows. */
  async delete(tenantId: string, userId: string): Promise<void> {
    for (const table of ['authenticators', 'users'] as const) {
      await this.db.deleteFrom(table).where('tenant_id', '=', tenantId).where('user_id', '=', userId).execute();
    }
  }

  async query(tenantId: string, q: UserQuery): Promise<UserRow[]> {
    let query = this.db.selectFrom('users').selectAll().where('tenant_id', '=', tenantId);
    if (q.username) query = query.where('username', '=', q.username);
    if (q.email) query = query.where('email', '=', q.email);
    if (q.phoneNumber) query = query.where('phone_number', '=', q.phoneNumber);
    if (q.userId) query = query.where('user_id', '=', q.userId);
    if (q.after) query = query.where('user_id', '>', q.after);
    return query.orderBy('user_id').limit(q.limit).execute();
  }

  async authenticators(tenantId: string, userIds: string | string[]): Promise<AuthenticatorRow[]> {
    const ids = Array.isArray(userIds) ? userIds : [userIds];
    if (ids.length === 0) return [];
    return this.db
      .selectFrom('authenticators')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('user_id', 'in', ids)
      .orderBy('created_at')
      .execute();
  }

  /** Enrolls the method, or replaces the number of the user's existing authenticator of that method. */
  async upsertAuthenticator(row: AuthenticatorRow): Promise<AuthenticatorRow> {
    return this.db
      .insertInto('authenticators')
      .values(withPhoneReversed(row))
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'user_id', 'verification_method']).doUpdateSet({
          phone_number: row.phone_number,
          phone_reversed: withPhoneReversed(row).phone_reversed ?? null,
          email: row.email,
          verified_at: row.verified_at,
          last_verified_at: row.last_verified_at,
        }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async deleteAuthenticator(tenantId: string, userId: string, id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('authenticators')
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

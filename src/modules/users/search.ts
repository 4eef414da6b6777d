import type { SelectQueryBuilder } from 'kysely';
import type { Db } from '../../storage/db.js';
import type { AuthenticatorRow, Database, UserRow } from '../../storage/schema.js';

/** The digits of a number reversed, so that "ends in 1234" is a prefix range on an index. */
export function reversedDigits(phone: string | null | undefined): string | null {
  const digits = (phone ?? '').replace(/\D/g, '');
  return digits === '' ? null : [...digits].reverse().join('');
}

/** The row with `phone_reversed` kept in step with `phone_number`, when the write sets a number. */
export function withPhoneReversed<T extends { phone_number?: string | null | undefined }>(
  row: T,
): T & { phone_reversed?: string | null } {
  if (!('phone_number' in row)) return row;
  return { ...row, phone_reversed: reversedDigits(row.phone_number) };
}

/** A keyset position in "newest first": created_at descending, ties by user ID descending. */
export interface UserKey {
  createdAt: number;
  userId: string;
}

/**
 * The portal's user search (issue 11), on the users module's tables. Each way a query can match is one
 * index range (exact user ID, lower(email), phone number, reversed digits); the caller merges them.
 */
export class UserSearch {
  constructor(private readonly db: Db) {}

  /** Newest users first, after `before`. */
  async newest(tenantId: string, before: UserKey | undefined, limit: number): Promise<UserRow[]> {
    return this.page(tenantId, before, limit, (q) => q);
  }

  /** Every user the query names, newest first, after `before`, at most `limit`. */
  async matching(tenantId: string, query: string, before: UserKey | undefined, limit: number): Promise<UserRow[]> {
    const text = query.trim();
    const digits = text.replace(/[\s().-]/g, '');
    const ranges: Promise<UserRow[]>[] = [
      this.page(tenantId, before, limit, (q) => q.where('user_id', '=', text)),
      this.page(tenantId, before, limit, (q) =>
        q.where((eb) => eb(eb.fn('lower', ['email']), '=', text.toLowerCase())),
      ),
    ];
    if (/^\+?\d{4,15}$/.test(digits)) {
      if (digits.startsWith('+'))
        ranges.push(this.page(tenantId, before, limit, (q) => q.where('phone_number', '=', digits)));
      const tail = reversedDigits(digits) as string;
      ranges.push(
        this.page(tenantId, before, limit, (q) =>
          q.where('phone_reversed', '>=', tail).where('phone_reversed', '<', `${tail}:`),
        ),
      );
      ranges.push(this.byAuthenticatorTail(tenantId, tail, before, limit));
    }
    const seen = new Map<string, UserRow>();
    for (const rows of await Promise.all(ranges)) for (const r of rows) seen.set(r.user_id, r);
    return [...seen.values()].sort(newestFirst).slice(0, limit);
  }

  async get(tenantId: string, userId: string): Promise<UserRow | undefined> {
    return this.db
      .selectFrom('users')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
  }

  async authenticators(tenantId: string, userId: string): Promise<AuthenticatorRow[]> {
    return this.db
      .selectFrom('authenticators')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .execute();
  }

  /** Users whose SMS authenticator's number ends in the reversed `tail`. */
  private async byAuthenticatorTail(tenantId: string, tail: string, before: UserKey | undefined, limit: number) {
    const owners = await this.db
      .selectFrom('authenticators')
      .select('user_id')
      .where('tenant_id', '=', tenantId)
      .where('phone_reversed', '>=', tail)
      .where('phone_reversed', '<', `${tail}:`)
      .limit(1000)
      .execute();
    const ids = [...new Set(owners.map((o) => o.user_id))];
    if (ids.length === 0) return [];
    return this.page(tenantId, before, limit, (q) => q.where('user_id', 'in', ids));
  }

  private async page(
    tenantId: string,
    before: UserKey | undefined,
    limit: number,
    narrow: (q: UsersQuery) => UsersQuery,
  ): Promise<UserRow[]> {
    let q = narrow(this.db.selectFrom('users').selectAll().where('tenant_id', '=', tenantId));
    if (before) {
      q = q.where((eb) =>
        eb.or([
          eb('created_at', '<', before.createdAt),
          eb.and([eb('created_at', '=', before.createdAt), eb('user_id', '<', before.userId)]),
        ]),
      );
    }
    return q.orderBy('created_at', 'desc').orderBy('user_id', 'desc').limit(limit).execute();
  }
}

type UsersQuery = SelectQueryBuilder<Database, 'users', UserRow>;

function newestFirst(a: UserRow, b: UserRow): number {
  return b.created_at - a.created_at || (a.user_id < b.user_id ? 1 : a.user_id > b.user_id ? -1 : 0);
}

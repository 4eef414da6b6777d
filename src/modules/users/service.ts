import { invalidRequest, notFound } from '../../errors.js';
import type { Clock } from '../../lib/clock.js';
import { phoneAttribute } from '../../lib/phone.js';
import type { Random } from '../../lib/random.js';
import type { Db } from '../../storage/db.js';
import { phoneInput } from './phone-input.js';
import type { UserPatch, UserStore } from './store.js';
import { attributesView, authenticatorView, enrollmentView, type UserAttributes } from './users.js';

export class UserService {
  constructor(
    readonly store: UserStore,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  /** An unknown user is not an error: the SDKs expect `200 {isEnrolled:false}`. */
  async get(tenantId: string, userId: string) {
    const [row, authenticators] = await Promise.all([
      this.store.get(tenantId, userId),
      this.store.authenticators(tenantId, userId),
    ]);
    return { ...enrollmentView(authenticators), ...attributesView(row) };
  }

  async update(tenantId: string, userId: string, attributes: UserAttributes) {
    const row = await this.store.upsert(tenantId, userId, toPatch(attributes), this.clock.now());
    return attributesView(row);
  }

  async delete(tenantId: string, userId: string): Promise<void> {
    await this.store.delete(tenantId, userId);
  }

  async query(
    tenantId: string,
    q: { username?: string; email?: string; phoneNumber?: string; userId?: string; limit: number; after?: string },
  ) {
    const phoneNumber = q.phoneNumber ? phoneAttribute(q.phoneNumber) : undefined;
    const rows = await this.store.query(tenantId, { ...q, phoneNumber });
    const authenticators = await this.store.authenticators(
      tenantId,
      rows.map((r) => r.user_id),
    );
    const users = rows.map((row) => ({
      userId: row.user_id,
      ...attributesView(row),
      ...enrollmentView(authenticators.filter((a) => a.user_id === row.user_id)),
      createdAt: new Date(row.created_at).toISOString(),
    }));
    const last = rows.at(-1);
    return { users, ...(rows.length === q.limit && last ? { lastEvaluatedUserId: last.user_id } : {}) };
  }

  async authenticators(tenantId: string, userId: string) {
    return (await this.store.authenticators(tenantId, userId)).map(authenticatorView);
  }

  /** Enrolls, or updates the number of, an SMS authenticator whose number was verified elsewhere. */
  async enrollVerified(
    tenantId: string,
    userId: string,
    body: { verificationMethod?: unknown; phoneNumber?: unknown },
  ) {
    if (body.verificationMethod !== 'SMS') {
      throw invalidRequest('verificationMethod must be "SMS": Sigil enrolls SMS authenticators only');
    }
    const phone = phoneInput(body.phoneNumber);
    const authenticator = await this.enrollSms(tenantId, userId, phone.e164);
    return { authenticator: authenticatorView(authenticator) };
  }

  /**
   * Creates or updates the user's SMS authenticator with a verified number, and records the number on
   * the user. Runs inside the caller's transaction when one is given.
   */
  async enrollSms(tenantId: string, userId: string, e164: string, db?: Db, authenticatorId?: string) {
    const now = this.clock.now();
    await this.store.upsert(tenantId, userId, { phone_number: e164, phone_number_verified: 1 }, now, db);
    return this.store.upsertAuthenticator(
      {
        id: authenticatorId ?? this.random.uuid(),
        tenant_id: tenantId,
        user_id: userId,
        verification_method: 'SMS',
        phone_number: e164,
        email: null,
        created_at: now,
        verified_at: now,
        last_verified_at: now,
      },
      db,
    );
  }

  async deleteAuthenticator(tenantId: string, userId: string, authenticatorId: string): Promise<void> {
    if (!(await this.store.deleteAuthenticator(tenantId, userId, authenticatorId))) {
      throw notFound('No authenticator with this ID exists for this user');
    }
  }
}

function toPatch(a: UserAttributes): UserPatch {
  const patch: UserPatch = {};
  if (a.email !== undefined) patch.email = a.email;
  if (a.emailVerified !== undefined) patch.email_verified = a.emailVerified ? 1 : 0;
  if (a.phoneNumber !== undefined) patch.phone_number = a.phoneNumber === null ? null : phoneAttribute(a.phoneNumber);
  if (a.phoneNumberVerified !== undefined) patch.phone_number_verified = a.phoneNumberVerified ? 1 : 0;
  if (a.username !== undefined) patch.username = a.username;
  if (a.displayName !== undefined) patch.display_name = a.displayName;
  if (a.custom !== undefined) patch.custom = a.custom === null ? null : JSON.stringify(a.custom);
  if (a.locale !== undefined) patch.locale = a.locale;
  return patch;
}

import { invalidRequest, notFound } from '../../errors.js';
import type { Clock } from '../../lib/clock.js';
import { phoneAttribute } from '../../lib/phone.js';
import type { Random } from '../../lib/random.js';
import type { AuthenticatorRow, UserRow } from '../../storage/schema.js';
import type { UnitOfWork } from '../../storage/transactions.js';
import { phoneInput } from './phone-input.js';
import type { UserPatch, UserStore } from './store.js';
import { attributesView, authenticatorView, enrollmentView, type UserAttributes } from './users.js';

/** What deleteUser asks each module to delete, in one transaction. */
export interface UserDeletionTx {
  users: UserStore;
  challenges: { deleteForUser(tenantId: string, userId: string): Promise<void> };
  actions: { deleteForUser(tenantId: string, userId: string): Promise<void> };
  devices: { deleteForUser(tenantId: string, userId: string): Promise<void> };
  sessions: { deleteForUser(tenantId: string, userId: string): Promise<void> };
}

/** Users and their authenticators. The store is private: other modules use these methods. */
export class UserService {
  constructor(
    private readonly store: UserStore,
    private readonly transaction: UnitOfWork<UserDeletionTx>,
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

  /** The user's attributes as the wire shows them (empty for an unknown user). */
  async attributes(tenantId: string, userId: string) {
    return attributesView(await this.store.get(tenantId, userId));
  }

  async update(tenantId: string, userId: string, attributes: UserAttributes) {
    const row = await this.store.upsert(tenantId, userId, toPatch(attributes), this.clock.now());
    return attributesView(row);
  }

  /**
   * Records that the app saw this user, with what it told us (track): creates the user if needed, and
   * applies `patch` in the same statement.
   */
  async upsertSeen(tenantId: string, userId: string, patch: UserPatch, now: number): Promise<UserRow> {
    return this.store.upsert(tenantId, userId, patch, now);
  }

  /** Deletes the user: each module deletes what it owns, all in one transaction. */
  async delete(tenantId: string, userId: string): Promise<void> {
    await this.transaction(async (tx) => {
      await tx.actions.deleteForUser(tenantId, userId);
      await tx.sessions.deleteForUser(tenantId, userId);
      await tx.challenges.deleteForUser(tenantId, userId);
      await tx.devices.deleteForUser(tenantId, userId);
      await tx.users.delete(tenantId, userId);
    });
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

  /** The user's authenticators as stored, oldest first: for enrollment views and rule variables. */
  async authenticatorRecords(tenantId: string, userId: string): Promise<AuthenticatorRow[]> {
    return this.store.authenticators(tenantId, userId);
  }

  /** The user's SMS authenticator, if enrolled (Sigil keeps at most one per user). */
  async smsAuthenticator(tenantId: string, userId: string): Promise<AuthenticatorRow | undefined> {
    return (await this.store.authenticators(tenantId, userId)).find((a) => a.verification_method === 'SMS');
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
    const authenticator = await this.transaction((tx) => this.enrollSms(tx, tenantId, userId, phone.e164));
    return { authenticator: authenticatorView(authenticator) };
  }

  /**
   * Creates or updates the user's SMS authenticator with a verified number, and records the number on
   * the user, in the caller's transaction (a verified code enrolls in the transaction that accepts it).
   */
  async enrollSms(tx: { users: UserStore }, tenantId: string, userId: string, e164: string, authenticatorId?: string) {
    const now = this.clock.now();
    await tx.users.upsert(tenantId, userId, { phone_number: e164, phone_number_verified: 1 }, now);
    return tx.users.upsertAuthenticator({
      id: authenticatorId ?? this.random.uuid(),
      tenant_id: tenantId,
      user_id: userId,
      verification_method: 'SMS',
      phone_number: e164,
      email: null,
      created_at: now,
      verified_at: now,
      last_verified_at: now,
    });
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

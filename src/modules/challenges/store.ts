import type { Db } from '../../storage/db.js';
import type { ChallengeRow } from '../../storage/schema.js';

/**
 * Every state change of a challenge is one conditional UPDATE ... RETURNING, so that concurrent
 * requests, on one node or many, cannot both win: the database decides.
 */
export class ChallengeStore {
  constructor(private readonly db: Db) {}

  async insert(row: ChallengeRow): Promise<void> {
    await this.db.insertInto('challenges').values(row).execute();
  }

  async get(tenantId: string, id: string): Promise<ChallengeRow | undefined> {
    return this.db
      .selectFrom('challenges')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** The newest challenge of a tracked action (the Client API works on "the" challenge of its token). */
  async latestForAction(tenantId: string, idempotencyKey: string): Promise<ChallengeRow | undefined> {
    return this.db
      .selectFrom('challenges')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('idempotency_key', '=', idempotencyKey)
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  /** Codes sent to a number since `since`, resends included (challenges last sent in that window). */
  async sendsToNumberSince(tenantId: string, phoneNumber: string, since: number): Promise<number> {
    const row = await this.db
      .selectFrom('challenges')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number | string>('send_count'), eb.lit(0)).as('n'))
      .where('tenant_id', '=', tenantId)
      .where('phone_number', '=', phoneNumber)
      .where('last_sent_at', '>=', since)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Which of these challenges were verified: the limits report asks it of the sends it would have refused. */
  async verifiedAmong(tenantId: string, ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('challenges')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', ids)
      .where('verified_at', 'is not', null)
      .execute();
    return new Set(rows.map((r) => r.id));
  }

  /** How many challenges a tracked action has started: the Client API caps them. */
  async countForAction(tenantId: string, idempotencyKey: string): Promise<number> {
    const row = await this.db
      .selectFrom('challenges')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('tenant_id', '=', tenantId)
      .where('idempotency_key', '=', idempotencyKey)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** The newest challenge of a user, optionally for one action. */
  async latestForUser(tenantId: string, userId: string, actionCode?: string): Promise<ChallengeRow | undefined> {
    let query = this.db
      .selectFrom('challenges')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where((eb) => eb.or([eb('user_id', '=', userId), eb('claimed_user_id', '=', userId)]));
    if (actionCode) query = query.where('action_code', '=', actionCode);
    return query.orderBy('created_at', 'desc').limit(1).executeTakeFirst();
  }

  /**
   * Counts one attempt before the code is compared, so every guess is paid for even under
   * concurrency. Returns the row as it is after the increment, or nothing if already verified.
   */
  async countAttempt(tenantId: string, id: string): Promise<ChallengeRow | undefined> {
    return this.db
      .updateTable('challenges')
      .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .where('verified_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
  }

  /** Marks the challenge verified; exactly one caller can succeed. */
  async markVerified(tenantId: string, id: string, now: number): Promise<boolean> {
    const row = await this.db
      .updateTable('challenges')
      .set({ verified_at: now })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .where('verified_at', 'is', null)
      .where('failed_reason', 'is', null)
      .where('expires_at', '>', now)
      .returning('id')
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Replaces the code for a resend within the send budget and cooldown; the attempt count is kept. */
  async replaceCode(
    tenantId: string,
    id: string,
    change: { codeHash: string; now: number; expiresAt: number; maxSends: number; cooldownMs: number },
  ): Promise<ChallengeRow | undefined> {
    return this.db
      .updateTable('challenges')
      .set((eb) => ({
        code_hash: change.codeHash,
        send_count: eb('send_count', '+', 1),
        last_sent_at: change.now,
        expires_at: change.expiresAt,
        failed_reason: null,
      }))
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .where('verified_at', 'is', null)
      .where('send_count', '<', change.maxSends)
      .where('last_sent_at', '<=', change.now - change.cooldownMs)
      .returningAll()
      .executeTakeFirst();
  }

  async markFailed(tenantId: string, id: string, reason: string): Promise<void> {
    await this.db
      .updateTable('challenges')
      .set({ failed_reason: reason })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .execute();
  }

  /** Claims a verified challenge for a user; exactly one claim can succeed. */
  async claim(
    tenantId: string,
    id: string,
    claim: { userId: string; now: number; skipVerificationCheck: boolean; verifiedSince: number },
  ): Promise<ChallengeRow | undefined> {
    return this.db
      .updateTable('challenges')
      .set({ claimed_at: claim.now, claimed_user_id: claim.userId })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .where('claimed_at', 'is', null)
      .where((eb) => eb.or([eb('user_id', 'is', null), eb('user_id', '=', claim.userId)]))
      .where((eb) =>
        claim.skipVerificationCheck
          ? eb.and([eb('expires_at', '>', claim.now), eb('failed_reason', 'is', null)])
          : eb('verified_at', '>', claim.verifiedSince),
      )
      .returningAll()
      .executeTakeFirst();
  }

  /** One wrong code submitted (migration 012), with the attempt count it made, for the action's timeline. */
  async recordWrongCode(tenantId: string, challengeId: string, attempt: number, at: number): Promise<void> {
    await this.db
      .insertInto('challenge_wrong_codes')
      .values({ tenant_id: tenantId, challenge_id: challengeId, attempt, at })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  /** Deletes the user's challenges (deleteUser, in its transaction). */
  async deleteForUser(tenantId: string, userId: string): Promise<void> {
    await this.db
      .deleteFrom('challenge_wrong_codes')
      .where('tenant_id', '=', tenantId)
      .where('challenge_id', 'in', (eb) =>
        eb.selectFrom('challenges').select('id').where('tenant_id', '=', tenantId).where('user_id', '=', userId),
      )
      .execute();
    await this.db.deleteFrom('challenges').where('tenant_id', '=', tenantId).where('user_id', '=', userId).execute();
  }
}

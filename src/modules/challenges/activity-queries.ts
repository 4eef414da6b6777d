import type { Db } from '../../storage/db.js';
import type { ChallengeRow, ChallengeWrongCodeRow } from '../../storage/schema.js';

/** A keyset position in a list of challenges: created_at, ties by ID. */
export interface ChallengeKey {
  createdAt: number;
  id: string;
}

/** The challenges module's reads for the portal's activity pages (issue 11). */
export class ChallengeActivityQueries {
  constructor(private readonly db: Db) {}

  async get(tenantId: string, id: string): Promise<ChallengeRow | undefined> {
    return this.db
      .selectFrom('challenges')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** The action's challenges, oldest first (index challenges_action). */
  async forAction(tenantId: string, key: string): Promise<ChallengeRow[]> {
    return this.db
      .selectFrom('challenges')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('idempotency_key', '=', key)
      .orderBy('created_at')
      .orderBy('id')
      .limit(100)
      .execute();
  }

  /** The user's challenges newest first, after `before` (index challenges_user). */
  async forUser(tenantId: string, userId: string, before: ChallengeKey | undefined, limit: number) {
    let q = this.db
      .selectFrom('challenges')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId);
    if (before) {
      q = q
        .where('created_at', '<=', before.createdAt)
        .where((eb) =>
          eb.or([
            eb('created_at', '<', before.createdAt),
            eb.and([eb('created_at', '=', before.createdAt), eb('id', '<', before.id)]),
          ]),
        );
    }
    return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  }

  /** Each wrong code submitted to these challenges, oldest first. */
  async wrongCodes(tenantId: string, challengeIds: string[]): Promise<ChallengeWrongCodeRow[]> {
    if (challengeIds.length === 0) return [];
    return this.db
      .selectFrom('challenge_wrong_codes')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('challenge_id', 'in', challengeIds)
      .orderBy('at')
      .orderBy('attempt')
      .execute();
  }

  /** Each challenge's number, by ID: the message log's rows carry none of their own. */
  async phonesOf(tenantId: string, ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('challenges')
      .select(['id', 'phone_number'])
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', ids)
      .execute();
    return new Map(rows.map((r) => [r.id, r.phone_number]));
  }
}

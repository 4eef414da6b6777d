import type { Db } from '../../storage/db.js';
import type { OperatorLinkKind, OperatorLinkRow, OperatorSessionRow } from '../../storage/schema.js';

/** A session found by its token, with what authentication needs of its account. */
export interface SessionWithAccount extends OperatorSessionRow {
  email: string;
}

/** Portal sessions and one-time links. Tokens are looked up by SHA-256, never stored. */
export class OperatorSessionStore {
  constructor(private readonly db: Db) {}

  async insert(row: OperatorSessionRow): Promise<void> {
    await this.db.insertInto('operator_sessions').values(row).execute();
  }

  /** The live session with this token hash (not revoked, not past either lifetime), with its account's email. */
  byTokenHash(tokenHash: string, now: number, idleMs: number): Promise<SessionWithAccount | undefined> {
    return this.db
      .selectFrom('operator_sessions as s')
      .innerJoin('operator_accounts as a', 'a.id', 's.account_id')
      .selectAll('s')
      .select('a.email')
      .where('s.token_hash', '=', tokenHash)
      .where('s.revoked_at', 'is', null)
      .where('s.expires_at', '>', now)
      .where('s.last_seen_at', '>', now - idleMs)
      .executeTakeFirst();
  }

  async touch(sessionId: string, now: number): Promise<void> {
    await this.db.updateTable('operator_sessions').set({ last_seen_at: now }).where('id', '=', sessionId).execute();
  }

  async reauthenticated(sessionId: string, now: number): Promise<void> {
    await this.db
      .updateTable('operator_sessions')
      .set({ reauthenticated_at: now, last_seen_at: now })
      .where('id', '=', sessionId)
      .execute();
  }

  /** Revokes one session of an account; false when it is not that account's, or already ended. */
  async revoke(accountId: string, sessionId: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('operator_sessions')
      .set({ revoked_at: now })
      .where('id', '=', sessionId)
      .where('account_id', '=', accountId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Ends every session of an account: its password was reset, or it lost its last membership. */
  async revokeAll(accountId: string, now: number): Promise<void> {
    await this.db
      .updateTable('operator_sessions')
      .set({ revoked_at: now })
      .where('account_id', '=', accountId)
      .where('revoked_at', 'is', null)
      .execute();
  }

  live(accountId: string, now: number, idleMs: number): Promise<OperatorSessionRow[]> {
    return this.db
      .selectFrom('operator_sessions')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .where('last_seen_at', '>', now - idleMs)
      .orderBy('created_at', 'desc')
      .execute();
  }

  async insertLink(row: OperatorLinkRow): Promise<void> {
    await this.db.insertInto('operator_links').values(row).execute();
  }

  /** A link that can still be used: not used, not revoked, not expired. */
  openLink(tokenHash: string, now: number): Promise<OperatorLinkRow | undefined> {
    return this.db
      .selectFrom('operator_links')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .where('used_at', 'is', null)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
  }

  /** Uses a link once: one conditional UPDATE, so two concurrent redemptions cannot both win. */
  async consumeLink(linkId: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('operator_links')
      .set({ used_at: now })
      .where('id', '=', linkId)
      .where('used_at', 'is', null)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  openLinks(tenantId: string, kind: OperatorLinkKind, now: number): Promise<OperatorLinkRow[]> {
    return this.db
      .selectFrom('operator_links')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('kind', '=', kind)
      .where('used_at', 'is', null)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .orderBy('created_at', 'desc')
      .execute();
  }

  async revokeLink(tenantId: string, linkId: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('operator_links')
      .set({ revoked_at: now })
      .where('id', '=', linkId)
      .where('tenant_id', '=', tenantId)
      .where('used_at', 'is', null)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Deletes, in one batch of at most `limit` each, sessions that ended (expired or revoked) and links
   * that expired before `cutoff`. Ended rows stay until then so that the portal can show them.
   */
  async purgeEnded(cutoff: number, limit: number): Promise<number> {
    const sessions = await this.db
      .deleteFrom('operator_sessions')
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('operator_sessions')
          .select('id')
          .where((w) => w.or([w('expires_at', '<', cutoff), w('revoked_at', '<', cutoff)]))
          .limit(limit),
      )
      .executeTakeFirst();
    const links = await this.db
      .deleteFrom('operator_links')
      .where('id', 'in', (eb) =>
        eb.selectFrom('operator_links').select('id').where('expires_at', '<', cutoff).limit(limit),
      )
      .executeTakeFirst();
    return Number(sessions.numDeletedRows) + Number(links.numDeletedRows);
  }
}

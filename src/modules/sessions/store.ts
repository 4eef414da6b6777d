import { sql } from 'kysely';
import type { Db } from '../../storage/db.js';
import type { SessionClientRow, SessionRefreshTokenRow, SessionRow } from '../../storage/schema.js';

/** A refresh token with what rotating it needs: its session and its client's lifetimes. */
export interface RefreshTokenRecord {
  session_id: string;
  used_at: number | null;
  expires_at: number;
  user_id: string;
  client_id: string;
  revoked_at: number | null;
  access_ttl_seconds: number;
  refresh_ttl_seconds: number;
}

export type Rotation = 'rotated' | 'already_used' | 'revoked';

/** What one batch of the sweep deleted, and how many rows it examined (a short batch ends the sweep's loop). */
export interface PurgeBatch {
  examined: number;
  sessions: number;
  refreshTokens: number;
}

/**
 * Session clients, sessions and refresh tokens. Every query is scoped by tenant, except the sweep of dead
 * sessions (`purge…`), which runs across tenants by design; its joins still match tenant_id on both sides.
 */
export class SessionStore {
  constructor(private readonly db: Db) {}

  async insertClient(row: SessionClientRow): Promise<void> {
    await this.db.insertInto('session_clients').values(row).execute();
  }

  async client(tenantId: string, clientId: string): Promise<SessionClientRow | undefined> {
    return this.db
      .selectFrom('session_clients')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', clientId)
      .executeTakeFirst();
  }

  async clients(tenantId: string): Promise<SessionClientRow[]> {
    return this.db
      .selectFrom('session_clients')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  /** Deletes the client and every session it holds, so that none of its tokens validates or refreshes again. */
  async deleteClient(tenantId: string, clientId: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const sessionsOfClient = trx
        .selectFrom('sessions')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('client_id', '=', clientId);
      await trx
        .deleteFrom('session_refresh_tokens')
        .where('tenant_id', '=', tenantId)
        .where('session_id', 'in', sessionsOfClient)
        .execute();
      await trx.deleteFrom('sessions').where('tenant_id', '=', tenantId).where('client_id', '=', clientId).execute();
      const deleted = await trx
        .deleteFrom('session_clients')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', clientId)
        .executeTakeFirst();
      return Number(deleted.numDeletedRows) > 0;
    });
  }

  /**
   * Inserts the session and its first refresh token, unless the challenge already made a session: the unique
   * (tenant_id, idempotency_key) decides, so of concurrent calls exactly one creates it. True when this call did.
   */
  /**
   * Inserts a session and its first refresh token: `exists` when the challenge already made one,
   * `client_gone` when its client was deleted since it was read (the foreign key refuses the row).
   */
  async insertSession(
    session: SessionRow,
    refresh: SessionRefreshTokenRow,
  ): Promise<'created' | 'exists' | 'client_gone'> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        const inserted = await trx
          .insertInto('sessions')
          .values(session)
          .onConflict((oc) => oc.columns(['tenant_id', 'idempotency_key']).doNothing())
          .returning('id')
          .executeTakeFirst();
        if (!inserted) return 'exists' as const;
        await trx.insertInto('session_refresh_tokens').values(refresh).execute();
        return 'created' as const;
      });
    } catch (err) {
      if (isForeignKeyViolation(err)) return 'client_gone';
      throw err;
    }
  }

  async session(tenantId: string, sessionId: string): Promise<SessionRow | undefined> {
    return this.db
      .selectFrom('sessions')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', sessionId)
      .executeTakeFirst();
  }

  async refreshToken(tenantId: string, tokenHash: string): Promise<RefreshTokenRecord | undefined> {
    return this.db
      .selectFrom('session_refresh_tokens as r')
      .innerJoin('sessions as s', 's.id', 'r.session_id')
      .innerJoin('session_clients as c', 'c.id', 's.client_id')
      .select([
        'r.session_id',
        'r.used_at',
        'r.expires_at',
        's.user_id',
        's.client_id',
        's.revoked_at',
        'c.access_ttl_seconds',
        'c.refresh_ttl_seconds',
      ])
      .where('r.tenant_id', '=', tenantId)
      .where('s.tenant_id', '=', tenantId)
      .where('c.tenant_id', '=', tenantId)
      .where('r.token_hash', '=', tokenHash)
      .executeTakeFirst();
  }

  /**
   * Rotates a refresh token. ONE conditional UPDATE marks the old token used, so of two concurrent refreshes
   * of one token exactly one wins (on PostgreSQL the loser waits on the row lock, then finds it used). Only
   * the winner moves the session to the new access token's jti and stores the new refresh token.
   */
  async rotate(
    tenantId: string,
    sessionId: string,
    oldHash: string,
    next: { hash: string; jti: string; now: number; expiresAt: number },
  ): Promise<Rotation> {
    return this.db.transaction().execute(async (trx) => {
      const marked = await trx
        .updateTable('session_refresh_tokens')
        .set({ used_at: next.now })
        .where('tenant_id', '=', tenantId)
        .where('session_id', '=', sessionId)
        .where('token_hash', '=', oldHash)
        .where('used_at', 'is', null)
        .returning('token_hash')
        .executeTakeFirst();
      if (!marked) return 'already_used';
      const advanced = await trx
        .updateTable('sessions')
        .set({ access_jti: next.jti, refreshed_at: next.now })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', sessionId)
        .where('revoked_at', 'is', null)
        .returning('id')
        .executeTakeFirst();
      if (!advanced) return 'revoked';
      await trx
        .insertInto('session_refresh_tokens')
        .values({
          token_hash: next.hash,
          tenant_id: tenantId,
          session_id: sessionId,
          created_at: next.now,
          expires_at: next.expiresAt,
          used_at: null,
        })
        .execute();
      // An expired token can no longer be used, so its hash is not needed to detect reuse: dropping this
      // session's expired rows bounds a live session's rows to the tokens issued within one refresh lifetime.
      await trx
        .deleteFrom('session_refresh_tokens')
        .where('tenant_id', '=', tenantId)
        .where('session_id', '=', sessionId)
        .where('expires_at', '<=', next.now)
        .execute();
      return 'rotated';
    });
  }

  /**
   * One batch of the sweep, across tenants: deletes up to `limit` refresh tokens that expired at or before
   * `cutoff`, then those of their sessions left with no refresh token at all, unless revoked after `cutoff`
   * (kept for the portal until the revoked sweep takes them). A session always holds its newest refresh token
   * (rotation inserts it in the transaction that drops the expired ones), so a session left with none is one
   * whose newest token expired at or before `cutoff`. One transaction, so that no session is left tokenless.
   */
  async purgeExpired(cutoff: number, limit: number): Promise<PurgeBatch> {
    return this.db.transaction().execute(async (trx) => {
      const expired = await trx
        .selectFrom('session_refresh_tokens as r')
        .innerJoin('sessions as s', (join) =>
          join.onRef('s.id', '=', 'r.session_id').onRef('s.tenant_id', '=', 'r.tenant_id'),
        )
        .select(['r.token_hash', 'r.session_id'])
        .where('r.expires_at', '<=', cutoff)
        .limit(limit)
        .execute();
      if (expired.length === 0) return { examined: 0, sessions: 0, refreshTokens: 0 };
      const tokens = await trx
        .deleteFrom('session_refresh_tokens')
        .where(
          'token_hash',
          'in',
          expired.map((r) => r.token_hash),
        )
        .where('expires_at', '<=', cutoff)
        .executeTakeFirst();
      const sessions = await trx
        .deleteFrom('sessions')
        .where('id', 'in', [...new Set(expired.map((r) => r.session_id))])
        .where((eb) => eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '<=', cutoff)]))
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('session_refresh_tokens as r')
                .select(sql.lit(1).as('one'))
                .whereRef('r.session_id', '=', 'sessions.id')
                .whereRef('r.tenant_id', '=', 'sessions.tenant_id'),
            ),
          ),
        )
        .executeTakeFirst();
      return {
        examined: expired.length,
        sessions: Number(sessions.numDeletedRows),
        refreshTokens: Number(tokens.numDeletedRows),
      };
    });
  }

  /**
   * One batch of the sweep, across tenants: up to `limit` sessions revoked at or before `cutoff`, their refresh
   * tokens first (`limit` per statement), then the sessions. Not one transaction: a revoked session's tokens
   * are refused whether or not they are stored, and a batch cut short is finished by the next sweep.
   */
  async purgeRevoked(cutoff: number, limit: number): Promise<PurgeBatch> {
    const ids = (
      await this.db.selectFrom('sessions').select('id').where('revoked_at', '<=', cutoff).limit(limit).execute()
    ).map((s) => s.id);
    if (ids.length === 0) return { examined: 0, sessions: 0, refreshTokens: 0 };
    let refreshTokens = 0;
    for (;;) {
      const deleted = await this.db
        .deleteFrom('session_refresh_tokens')
        .where('token_hash', 'in', (eb) =>
          eb
            .selectFrom('session_refresh_tokens as r')
            .innerJoin('sessions as s', (join) =>
              join.onRef('s.id', '=', 'r.session_id').onRef('s.tenant_id', '=', 'r.tenant_id'),
            )
            .select('r.token_hash')
            .where('s.id', 'in', ids)
            .where('s.revoked_at', '<=', cutoff)
            .limit(limit),
        )
        .executeTakeFirst();
      const count = Number(deleted.numDeletedRows);
      refreshTokens += count;
      if (count < limit) break;
    }
    const sessions = await this.db
      .deleteFrom('sessions')
      .where('id', 'in', ids)
      .where('revoked_at', '<=', cutoff)
      .executeTakeFirst();
    return { examined: ids.length, sessions: Number(sessions.numDeletedRows), refreshTokens };
  }

  /** Revokes one session; revoking a revoked session changes nothing (its first reason is kept). */
  async revoke(tenantId: string, sessionId: string, now: number, reason: string): Promise<void> {
    await this.db
      .updateTable('sessions')
      .set({ revoked_at: now, revoked_reason: reason })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', sessionId)
      .where('revoked_at', 'is', null)
      .execute();
  }

  async revokeUser(tenantId: string, userId: string, now: number): Promise<number> {
    const result = await this.db
      .updateTable('sessions')
      .set({ revoked_at: now, revoked_reason: 'user_revoked' })
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /**
   * Deletes the user's sessions and their refresh tokens (deleteUser, in its transaction): their access
   * tokens stop validating and their refresh tokens stop working.
   */
  async deleteForUser(tenantId: string, userId: string): Promise<void> {
    await this.db
      .deleteFrom('session_refresh_tokens')
      .where('tenant_id', '=', tenantId)
      .where('session_id', 'in', (eb) =>
        eb.selectFrom('sessions').select('id').where('tenant_id', '=', tenantId).where('user_id', '=', userId),
      )
      .execute();
    await this.db.deleteFrom('sessions').where('tenant_id', '=', tenantId).where('user_id', '=', userId).execute();
  }
}

/** A foreign-key refusal, as PostgreSQL (23503) and better-sqlite3 report it. */
function isForeignKeyViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

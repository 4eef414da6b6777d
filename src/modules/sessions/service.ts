import { ApiError, invalidRequest } from '../../errors.js';
import type { Clock } from '../../lib/clock.js';
import { DAY_MS } from '../../lib/clock.js';
import type { Random } from '../../lib/random.js';
import { VALIDATABLE_STATE } from '../actions/state-machine.js';
import type { ActionStore } from '../actions/store.js';
import { ACCESS_TOKEN_TYP, TokenError, type TokenService } from '../tokens/service.js';
import type { UserService } from '../users/service.js';
import { SessionClients } from './clients.js';
import {
  type AccessClaims,
  accessClaims,
  expiredToken,
  hashRefreshToken,
  invalidToken,
  PURGE_BATCH_SIZE,
  REFRESH_TOKEN_BYTES,
  readAccessClaims,
  SESSION_RETENTION_DAYS,
} from './sessions.js';
import type { PurgeBatch, SessionStore } from './store.js';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

export interface PurgeOptions {
  /** How long revoked and expired sessions are kept; default SESSION_RETENTION_DAYS. */
  retentionMs?: number;
  /** Rows per statement; default PURGE_BATCH_SIZE. */
  batchSize?: number;
  /** Checked between batches: an aborted sweep stops early, and the next one carries on. */
  signal?: AbortSignal;
}

export interface PurgeResult {
  sessions: number;
  refreshTokens: number;
}

/**
 * Sessions made from a succeeded challenge (docs/wire-protocol.md §4.9). Validation reads the session row on every call,
 * with no cache, so a revocation on one node is seen at once by every node.
 */
export class SessionService {
  readonly clients: SessionClients;

  constructor(
    private readonly store: SessionStore,
    private readonly actions: ActionStore,
    private readonly users: Pick<UserService, 'attributes'>,
    private readonly tokens: TokenService,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {
    this.clients = new SessionClients(store, clock, random);
  }

  /**
   * Turns a challenge token (from claim, track or the Client API's verify) into a session. The action behind
   * it must have succeeded; validateChallenge having accepted the token already does not matter. One
   * challenge makes one session, whichever of its tokens is presented.
   */
  async create(tenantId: string, req: { clientId: string; token: string; action?: string }): Promise<TokenPair> {
    const now = this.clock.now();
    let claims: Awaited<ReturnType<TokenService['verify']>>;
    try {
      claims = await this.tokens.verify(req.token, tenantId);
    } catch (err) {
      if (!(err instanceof TokenError)) throw err;
      if (err.reason === 'expired') throw expiredToken('The challenge token has expired.', { cause: err });
      throw invalidToken('The token is not a valid challenge token of this tenant.', { cause: err });
    }
    if (req.action !== undefined && req.action !== claims.actionCode) {
      throw invalidRequest('The token was issued for another action.');
    }
    const client = await this.store.client(tenantId, req.clientId);
    if (!client) throw invalidRequest('No session client with this clientId exists');
    const action = await this.actions.get(tenantId, claims.idempotencyKey);
    if (!action || action.user_id !== claims.userId || action.action_code !== claims.actionCode) {
      throw invalidToken('The action for this token no longer exists.');
    }
    if (action.state !== VALIDATABLE_STATE) {
      throw invalidRequest(`The challenge for this token has not succeeded: the action is ${action.state}.`);
    }

    const sessionId = this.random.uuid();
    const jti = this.random.uuid();
    // Signed before the insert: on SQLite no other query may run while the transaction is open.
    const access = await this.tokens.signClaims(
      tenantId,
      ACCESS_TOKEN_TYP,
      accessClaims({ sessionId, userId: claims.userId, clientId: client.id, jti }),
      client.access_ttl_seconds,
    );
    const refreshToken = this.random.token(REFRESH_TOKEN_BYTES);
    const created = await this.store.insertSession(
      {
        id: sessionId,
        tenant_id: tenantId,
        client_id: client.id,
        user_id: claims.userId,
        idempotency_key: action.idempotency_key,
        verification_method: action.verification_method,
        access_jti: jti,
        created_at: now,
        refreshed_at: null,
        revoked_at: null,
        revoked_reason: null,
      },
      {
        token_hash: hashRefreshToken(refreshToken),
        tenant_id: tenantId,
        session_id: sessionId,
        created_at: now,
        expires_at: now + client.refresh_ttl_seconds * 1000,
        used_at: null,
      },
    );
    if (created === 'exists') throw new ApiError('conflict', 'A session has already been created from this challenge.');
    if (created === 'client_gone') throw invalidRequest('No session client with this clientId exists');
    return { accessToken: access.token, refreshToken };
  }

  /** Signature, expiry, audience, then the session row: it must exist, be unrevoked, and name this token. */
  async validate(tenantId: string, req: { accessToken: string; clientIds?: string[] }) {
    const claims = await this.readAccessToken(tenantId, req.accessToken);
    if (req.clientIds && !req.clientIds.includes(claims.clientId)) {
      throw invalidToken('The access token was issued for another client.');
    }
    const session = await this.store.session(tenantId, claims.sessionId);
    if (!session || session.user_id !== claims.userId || session.client_id !== claims.clientId) {
      throw invalidToken('The session of this access token does not exist.');
    }
    if (session.revoked_at !== null) throw invalidToken('The session has been revoked.');
    // A refresh replaces the access token: "refreshing revokes the earlier tokens" (Authsignal's docs).
    if (session.access_jti !== claims.jti) throw invalidToken('The access token was replaced by a refresh.');
    const user = await this.users.attributes(tenantId, claims.userId);
    return {
      user: { userId: claims.userId, ...user },
      expiresAt: claims.exp,
      ...(session.verification_method ? { verificationMethod: session.verification_method } : {}),
    };
  }

  /**
   * Exchanges a refresh token for a new pair. A refresh token works once: presenting a used one means that
   * two parties hold it (one of them a thief, and the server cannot tell which), so the whole session is
   * revoked. Losing a concurrent refresh of the same token counts as such a reuse.
   */
  async refresh(tenantId: string, req: { refreshToken: string }): Promise<TokenPair> {
    const now = this.clock.now();
    const hash = hashRefreshToken(req.refreshToken);
    const record = await this.store.refreshToken(tenantId, hash);
    if (!record) throw invalidToken('The refresh token is invalid.');
    if (record.used_at !== null) return this.refuseReuse(tenantId, record.session_id, now);
    if (record.revoked_at !== null) throw invalidToken('The session has been revoked.');
    if (record.expires_at <= now) throw expiredToken('The refresh token has expired. Sign in again.');

    const jti = this.random.uuid();
    const access = await this.tokens.signClaims(
      tenantId,
      ACCESS_TOKEN_TYP,
      accessClaims({ sessionId: record.session_id, userId: record.user_id, clientId: record.client_id, jti }),
      record.access_ttl_seconds,
    );
    const refreshToken = this.random.token(REFRESH_TOKEN_BYTES);
    const outcome = await this.store.rotate(tenantId, record.session_id, hash, {
      hash: hashRefreshToken(refreshToken),
      jti,
      now,
      expiresAt: now + record.refresh_ttl_seconds * 1000,
    });
    if (outcome === 'already_used') return this.refuseReuse(tenantId, record.session_id, now);
    if (outcome === 'revoked') throw invalidToken('The session has been revoked.');
    return { accessToken: access.token, refreshToken };
  }

  /** Revokes the session of an authentic access token of this tenant, even an expired or replaced one. */
  async revoke(tenantId: string, req: { accessToken: string }): Promise<{ success: true }> {
    const claims = await this.readAccessToken(tenantId, req.accessToken, { allowExpired: true });
    await this.store.revoke(tenantId, claims.sessionId, this.clock.now(), 'revoked');
    return { success: true };
  }

  async revokeUser(tenantId: string, userId: string): Promise<{ success: true }> {
    await this.store.revokeUser(tenantId, userId, this.clock.now());
    return { success: true };
  }

  /**
   * The sweep of dead sessions, across every tenant by design (it is maintenance, not a tenant's request):
   * deletes refresh tokens that expired more than the retention ago, sessions left with none (their newest
   * token expired that long ago), and sessions revoked that long ago with their tokens. Bounded batches, each
   * its own statement, so that requests interleave; safe to run on several nodes at once.
   */
  async purge(options: PurgeOptions = {}): Promise<PurgeResult> {
    const cutoff = this.clock.now() - (options.retentionMs ?? SESSION_RETENTION_DAYS * DAY_MS);
    const limit = options.batchSize ?? PURGE_BATCH_SIZE;
    const total: PurgeResult = { sessions: 0, refreshTokens: 0 };
    const drain = async (batch: () => Promise<PurgeBatch>) => {
      while (!options.signal?.aborted) {
        const done = await batch();
        total.sessions += done.sessions;
        total.refreshTokens += done.refreshTokens;
        if (done.examined < limit) return;
      }
    };
    await drain(() => this.store.purgeExpired(cutoff, limit));
    await drain(() => this.store.purgeRevoked(cutoff, limit));
    return total;
  }

  private async refuseReuse(tenantId: string, sessionId: string, now: number): Promise<never> {
    await this.store.revoke(tenantId, sessionId, now, 'refresh_token_reuse');
    throw invalidToken('This refresh token has already been used, so the session has been revoked.');
  }

  private async readAccessToken(
    tenantId: string,
    token: string,
    options: { allowExpired?: boolean } = {},
  ): Promise<AccessClaims> {
    try {
      return readAccessClaims(await this.tokens.verifyClaims(token, tenantId, ACCESS_TOKEN_TYP, options));
    } catch (err) {
      if (!(err instanceof TokenError)) throw err;
      if (err.reason === 'expired')
        throw expiredToken('The access token has expired. Refresh the session.', { cause: err });
      throw invalidToken('The access token is invalid.', { cause: err });
    }
  }
}

import { createHash } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { ApiError, invalidRequest } from '../../errors.js';
import type { SessionClientRow } from '../../storage/schema.js';

/**
 * Lifetimes of a session client's tokens. The access token is short (it is checked against the database on
 * every validateSession, but an API gateway may verify it offline from the JWKS); the refresh token is long
 * and rotates on every use.
 */
export const ACCESS_TTL = { default: 15 * 60, min: 60, max: 24 * 60 * 60 } as const;
export const REFRESH_TTL = { default: 30 * 24 * 60 * 60, min: 5 * 60, max: 365 * 24 * 60 * 60 } as const;

/**
 * The sweep of dead sessions (SessionService.purge): a session revoked, or whose newest refresh token expired,
 * more than the retention ago is deleted with its refresh tokens, in batches of PURGE_BATCH_SIZE rows per
 * statement. The retention lets the portal show recently ended sessions (SIGIL_SESSION_RETENTION_DAYS).
 */
export const SESSION_RETENTION_DAYS = 7;
export const PURGE_BATCH_SIZE = 500;

/** 32 random bytes, base64url: 256 bits, so a plain SHA-256 is enough to store it (no slow hash needed). */
export const REFRESH_TOKEN_BYTES = 32;

export interface SessionClientInput {
  name: string;
  accessTokenTtlSeconds?: number | undefined;
  refreshTokenTtlSeconds?: number | undefined;
}

export interface SessionClientView {
  clientId: string;
  name: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  createdAt: string;
}

/** The lifetimes a new client gets, checked here so that the HTTP route and the CLI refuse the same values. */
export function clientLifetimes(input: SessionClientInput): { access: number; refresh: number } {
  const name = input.name.trim();
  if (name === '' || name.length > 200) throw invalidRequest('name must be 1 to 200 characters');
  const access = input.accessTokenTtlSeconds ?? ACCESS_TTL.default;
  const refresh = input.refreshTokenTtlSeconds ?? REFRESH_TTL.default;
  inRange('accessTokenTtlSeconds', access, ACCESS_TTL);
  inRange('refreshTokenTtlSeconds', refresh, REFRESH_TTL);
  if (refresh < access) throw invalidRequest('refreshTokenTtlSeconds must not be shorter than accessTokenTtlSeconds');
  return { access, refresh };
}

function inRange(field: string, value: number, range: { min: number; max: number }) {
  if (!Number.isInteger(value) || value < range.min || value > range.max) {
    throw invalidRequest(`${field} must be a whole number of seconds from ${range.min} to ${range.max}`);
  }
}

export function clientView(row: SessionClientRow): SessionClientView {
  return {
    clientId: row.id,
    name: row.name,
    accessTokenTtlSeconds: row.access_ttl_seconds,
    refreshTokenTtlSeconds: row.refresh_ttl_seconds,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

export const hashRefreshToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** The claims of a session access token beyond iss, iat and exp (which the token service adds). */
export function accessClaims(s: { sessionId: string; userId: string; clientId: string; jti: string }) {
  return { sub: s.userId, aud: s.clientId, sid: s.sessionId, jti: s.jti };
}

export interface AccessClaims {
  sessionId: string;
  userId: string;
  clientId: string;
  jti: string;
  exp: number;
}

/** Reads a verified access token's claims; anything not shaped as Sigil signs them is an invalid token. */
export function readAccessClaims(payload: JWTPayload): AccessClaims {
  const { sid, sub, aud, jti, exp } = payload as Record<string, unknown>;
  if (
    typeof sid !== 'string' ||
    typeof sub !== 'string' ||
    typeof aud !== 'string' ||
    typeof jti !== 'string' ||
    typeof exp !== 'number' ||
    'other' in payload
  ) {
    throw invalidToken('The access token is invalid.');
  }
  return { sessionId: sid, userId: sub, clientId: aud, jti, exp };
}

export const invalidToken = (description: string, options?: { cause?: unknown }) =>
  new ApiError('invalid_token', description, options);
export const expiredToken = (description: string, options?: { cause?: unknown }) =>
  new ApiError('expired_token', description, options);

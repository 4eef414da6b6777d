import { sha256Hex } from '../../lib/crypto.js';
import type { OperatorSessionRow, OperatorSessionStatus } from '../../storage/schema.js';
import type { OperatorContext, RequestMeta } from './context.js';
import { SESSION_ABSOLUTE_MS, SESSION_IDLE_MS, TOUCH_EVERY_MS } from './operators.js';
import type { SessionWithAccount } from './session-store.js';

/** A new session and the token for its cookie, which exists only here and in the browser. */
export interface IssuedSession {
  token: string;
  row: OperatorSessionRow;
}

type Ctx = Pick<OperatorContext, 'sessions' | 'clock' | 'random'>;

/**
 * Opens a session with a fresh random token. Every step up (sign-in, the MFA step, enrolment when MFA
 * is mandatory, a redeemed link) opens a new one and revokes the one before, so that a cookie planted
 * before sign-in never becomes a signed-in session (session fixation).
 */
export async function openSession(
  ctx: Ctx,
  accountId: string,
  status: OperatorSessionStatus,
  meta: RequestMeta,
  replaces?: Pick<OperatorSessionRow, 'id' | 'account_id'>,
): Promise<IssuedSession> {
  const now = ctx.clock.now();
  const token = ctx.random.token(32);
  const row: OperatorSessionRow = {
    id: ctx.random.uuid(),
    token_hash: sha256Hex(token),
    account_id: accountId,
    status,
    csrf_token: ctx.random.token(32),
    created_at: now,
    last_seen_at: now,
    expires_at: now + SESSION_ABSOLUTE_MS,
    reauthenticated_at: now,
    revoked_at: null,
    ip_address: meta.ip?.slice(0, 64) ?? null,
    user_agent: meta.userAgent?.slice(0, 256) ?? null,
  };
  await ctx.sessions.insert(row);
  if (replaces) await ctx.sessions.revoke(replaces.account_id, replaces.id, now);
  return { token, row };
}

/**
 * The live session behind a cookie's token, or undefined. A use moves the idle deadline, written at
 * most once a minute so that a busy page does not write on every call.
 */
export async function findSession(ctx: Ctx, token: string | undefined): Promise<SessionWithAccount | undefined> {
  if (!token || token.length > 128) return undefined;
  const now = ctx.clock.now();
  const session = await ctx.sessions.byTokenHash(sha256Hex(token), now, SESSION_IDLE_MS);
  if (session && now - session.last_seen_at >= TOUCH_EVERY_MS) {
    await ctx.sessions.touch(session.id, now);
    session.last_seen_at = now;
  }
  return session;
}

export const idleExpiresAt = (session: Pick<OperatorSessionRow, 'last_seen_at' | 'expires_at'>): number =>
  Math.min(session.last_seen_at + SESSION_IDLE_MS, session.expires_at);

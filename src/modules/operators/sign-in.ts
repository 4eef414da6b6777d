import { ApiError } from '../../errors.js';
import type { OperatorAccountRow, OperatorSessionStatus } from '../../storage/schema.js';
import type { OperatorContext, RequestMeta } from './context.js';
import { BAD_CREDENTIALS, normaliseEmail } from './operators.js';
import type { SessionWithAccount } from './session-store.js';
import { type IssuedSession, openSession } from './sessions.js';
import { accountBudget, codeBudget, forgive, ipBudget, spendAttempt } from './throttle.js';
import { spendRecoveryCode, verifyTotp } from './totp.js';

export interface SignedIn {
  status: OperatorSessionStatus;
  session: IssuedSession;
}

/** Where a password (or a link) leaves an account: signed in, or one step short of it. */
export function statusAfterPassword(ctx: Pick<OperatorContext, 'requireMfa'>, account: OperatorAccountRow) {
  if (account.totp_enabled_at !== null) return 'mfa_required' as const;
  return ctx.requireMfa ? ('mfa_enrolment_required' as const) : ('signed_in' as const);
}

/**
 * Email and password. The attempt is counted against the account's and the IP's budgets before the
 * password is checked; an unknown email is checked against a dummy hash, so it answers the same, in
 * the same time, as a wrong password. Success opens a new session (the old cookie's, if live, is revoked).
 */
export async function signIn(
  ctx: OperatorContext,
  input: { email: string; password: string },
  meta: RequestMeta,
  previous: SessionWithAccount | undefined,
): Promise<SignedIn> {
  const email = normaliseEmail(input.email);
  const account = accountBudget(email);
  await spendAttempt(ctx.counters, [account, ipBudget(meta.ip)]);
  const found = await ctx.accounts.byEmail(email);
  const ok = await ctx.passwords.verify(found?.password_hash, input.password);
  if (!found || !ok) throw new ApiError('unauthorized', BAD_CREDENTIALS);
  await forgive(ctx.counters, account);
  const status = statusAfterPassword(ctx, found);
  return { status, session: await openSession(ctx, found.id, status, meta, previous) };
}

/** The second step: a TOTP code or a recovery code, on a session that passed the password. */
export async function completeMfa(
  ctx: OperatorContext,
  session: SessionWithAccount,
  input: { code?: string | undefined; recoveryCode?: string | undefined },
  meta: RequestMeta,
): Promise<SignedIn> {
  if (session.status !== 'mfa_required') {
    throw new ApiError('conflict', 'This session is not waiting for an authenticator code.');
  }
  const account = await ctx.accounts.byId(session.account_id);
  if (!account) throw new ApiError('unauthorized');
  if (!(await secondFactor(ctx, account, input))) throw new ApiError('unauthorized', 'The code is not right.');
  return { status: 'signed_in', session: await openSession(ctx, account.id, 'signed_in', meta, session) };
}

async function secondFactor(
  ctx: OperatorContext,
  account: OperatorAccountRow,
  input: { code?: string | undefined; recoveryCode?: string | undefined },
): Promise<boolean> {
  if (input.code === undefined && input.recoveryCode === undefined) {
    throw new ApiError('invalid_request', 'Give code (from the authenticator app) or recoveryCode.');
  }
  const budget = codeBudget(account.id, 'mfa');
  await spendAttempt(ctx.counters, [budget]);
  const ok =
    input.code !== undefined
      ? await verifyTotp(ctx, account, input.code)
      : await spendRecoveryCode(ctx, account, input.recoveryCode ?? '');
  if (ok) await forgive(ctx.counters, budget);
  return ok;
}

/**
 * A fresh proof before destructive actions (`config.fresh` routes): the password, or a TOTP code when
 * the account has one. Throttled per account like sign-in.
 */
export async function reauthenticate(
  ctx: OperatorContext,
  session: SessionWithAccount,
  input: { password?: string | undefined; code?: string | undefined },
): Promise<number> {
  const account = await ctx.accounts.byId(session.account_id);
  if (!account) throw new ApiError('unauthorized');
  if (input.password === undefined && input.code === undefined) {
    throw new ApiError('invalid_request', 'Give password, or code from the authenticator app.');
  }
  const budget = codeBudget(account.id, 'reauthenticate');
  await spendAttempt(ctx.counters, [budget]);
  const ok =
    input.password !== undefined
      ? await ctx.passwords.verify(account.password_hash, input.password)
      : await verifyTotp(ctx, account, input.code ?? '');
  if (!ok) throw new ApiError('forbidden', 'The password or code is not right.');
  await forgive(ctx.counters, budget);
  const now = ctx.clock.now();
  await ctx.sessions.reauthenticated(session.id, now);
  return now;
}

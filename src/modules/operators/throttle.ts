import { ApiError } from '../../errors.js';
import { sha256Hex } from '../../lib/crypto.js';
import type { Counters } from '../limits/counters.js';

/** Failed attempts allowed per window: per account (by email), per IP, and per account for codes. */
const THROTTLE = { perAccount: 10, perIp: 50, windowMs: 15 * 60_000 } as const;

export interface Budget {
  key: string;
  limit: number;
}

export const accountBudget = (email: string): Budget => ({
  key: `portal:sign-in:account:${sha256Hex(email)}`,
  limit: THROTTLE.perAccount,
});
export const ipBudget = (ip: string | undefined): Budget => ({
  key: `portal:sign-in:ip:${ip ?? 'unknown'}`,
  limit: THROTTLE.perIp,
});
/** Second factors and re-authentication: per account, apart from the password's budget. */
export const codeBudget = (accountId: string, purpose: 'mfa' | 'reauthenticate'): Budget => ({
  key: `portal:${purpose}:${accountId}`,
  limit: THROTTLE.perAccount,
});

/**
 * Counts an attempt against each budget before it is checked, atomically, and refuses it when any
 * budget is spent: N simultaneous guesses get N distinct counts, so no more than the limit are ever
 * checked. Whether the account exists plays no part, so the answer cannot tell.
 */
export async function spendAttempt(counters: Counters, budgets: Budget[]): Promise<void> {
  const counts = await Promise.all(budgets.map((b) => counters.add(b.key, 1, THROTTLE.windowMs)));
  let waitMs = 0;
  counts.forEach((count, i) => {
    if (count.count > (budgets[i]?.limit ?? 0)) waitMs = Math.max(waitMs, count.resetInMs);
  });
  if (waitMs > 0) {
    const minutes = Math.max(1, Math.ceil(waitMs / 60_000));
    throw new ApiError('too_many_requests', `Too many attempts. Try again in ${minutes} minute(s).`, {
      retryAfterSeconds: waitMs / 1000,
    });
  }
}

/** A success forgives the account's failures (never the IP's: one good account must not unlock guessing). */
export async function forgive(counters: Counters, budget: Budget): Promise<void> {
  await counters.reset(budget.key);
}

import { invalidRequest } from '../../errors.js';

/** A portal session ends after 30 minutes without a request, and 12 hours after sign-in whatever happens. */
export const SESSION_IDLE_MS = 30 * 60_000;
export const SESSION_ABSOLUTE_MS = 12 * 3_600_000;
/** A session's last use is written at most this often, not on every request. */
export const TOUCH_EVERY_MS = 60_000;
/** One-time links: invitations live 7 days, sign-in links (CLI, development) 24 hours. */
export const INVITE_TTL_MS = 7 * 24 * 3_600_000;
export const SIGN_IN_LINK_TTL_MS = 24 * 3_600_000;
const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;
export const RECOVERY_CODE_COUNT = 10;

/** The answer to every failed password check, whether or not the account exists. */
export const BAD_CREDENTIALS = 'The email or password is not right.';

/** Emails are compared trimmed and lower-cased: the stored form, so the unique index is case-insensitive. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** A plausible address: the portal shows it and links are addressed to it; nothing is sent by Sigil. */
export function checkedEmail(email: string): string {
  const normalised = normaliseEmail(email);
  if (normalised.length > 254 || !/^[^\s@]+@[^\s@]+$/.test(normalised)) {
    throw invalidRequest('email must be an email address');
  }
  return normalised;
}

export function checkedNewPassword(password: string): string {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw invalidRequest(`password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw invalidRequest(`password must be at most ${MAX_PASSWORD_LENGTH} characters`);
  }
  return password;
}

/** The page of the portal that redeems a one-time link (sign-in link or invitation). */
export function linkUrl(publicBase: string, token: string): string {
  return `${publicBase}/portal/#/link/${token}`;
}

import { ApiError } from '../../errors.js';
import { sha256Hex } from '../../lib/crypto.js';
import type { OperatorLinkRow } from '../../storage/schema.js';
import type { OperatorContext, RequestMeta } from './context.js';
import {
  BAD_CREDENTIALS,
  checkedNewPassword,
  INVITE_TTL_MS,
  linkUrl,
  normaliseEmail,
  SIGN_IN_LINK_TTL_MS,
} from './operators.js';
import type { Role } from './roles.js';
import { openSession } from './sessions.js';
import { type SignedIn, statusAfterPassword } from './sign-in.js';
import { accountBudget, forgive, spendAttempt } from './throttle.js';

export interface IssuedLink {
  linkId: string;
  token: string;
  url: string;
  createdAt: number;
  expiresAt: number;
}

/** A one-time link: 256 random bits in the URL, only their SHA-256 stored. */
export async function issueLink(
  ctx: Pick<OperatorContext, 'sessions' | 'clock' | 'random' | 'publicUrls'>,
  link: Pick<OperatorLinkRow, 'kind' | 'email' | 'tenant_id' | 'role' | 'created_by'>,
): Promise<IssuedLink> {
  const now = ctx.clock.now();
  const token = ctx.random.token(32);
  const expiresAt = now + (link.kind === 'invite' ? INVITE_TTL_MS : SIGN_IN_LINK_TTL_MS);
  const linkId = ctx.random.uuid();
  await ctx.sessions.insertLink({
    ...link,
    email: normaliseEmail(link.email),
    id: linkId,
    token_hash: sha256Hex(token),
    created_at: now,
    expires_at: expiresAt,
    used_at: null,
    revoked_at: null,
  });
  // The URL is built only when known: with PORT=0 the CLI cannot tell it (the server prints its own).
  const url = ctx.publicUrls.known ? linkUrl(ctx.publicUrls.base, token) : `/portal/#/link/${token}`;
  return { linkId, token, url, createdAt: now, expiresAt };
}

async function openLink(ctx: Pick<OperatorContext, 'sessions' | 'clock'>, token: string) {
  const link = token.length <= 128 ? await ctx.sessions.openLink(sha256Hex(token), ctx.clock.now()) : undefined;
  if (!link) throw new ApiError('not_found', 'This link has been used, has expired, or never existed.');
  return link;
}

export interface LinkView {
  kind: 'sign-in' | 'invite';
  email: string;
  tenantName?: string;
  role?: string;
  /** The page must ask for a password: a new one for an account without one, else the account's own. */
  needsPassword: boolean;
  accountExists: boolean;
}

/** What a link page shows before it is used. Reading does not use it. */
export async function describeLink(ctx: OperatorContext, token: string): Promise<LinkView> {
  const link = await openLink(ctx, token);
  const account = await ctx.accounts.byEmail(link.email);
  const hasPassword = Boolean(account?.password_hash);
  const tenantName = link.tenant_id ? (await ctx.tenants.names([link.tenant_id])).get(link.tenant_id) : undefined;
  return {
    kind: link.kind,
    email: link.email,
    ...(tenantName !== undefined ? { tenantName } : {}),
    ...(link.role ? { role: link.role } : {}),
    // A sign-in link to an account with a password may reset it, but need not.
    needsPassword: link.kind === 'invite' ? true : !hasPassword,
    accountExists: account !== undefined,
  };
}

/**
 * Uses a one-time link and signs in. A sign-in link (development, `sigil admin create`) signs its account
 * in, setting the password when it has none (or resetting it when one is given). An invitation creates
 * the account with the password given, or, for an existing account, asks for that account's password:
 * the inviter saw the link, and must not be able to sign in as someone who already has an account.
 * Everything is checked before the link is used; using it is one conditional UPDATE.
 */
export async function redeemLink(
  ctx: OperatorContext,
  input: { token: string; password?: string | undefined },
  meta: RequestMeta,
): Promise<SignedIn> {
  const link = await openLink(ctx, input.token);
  let account = await ctx.accounts.byEmail(link.email);
  let newHash: string | undefined;
  if (link.kind === 'invite' && account?.password_hash) {
    const budget = accountBudget(link.email);
    await spendAttempt(ctx.counters, [budget]);
    if (!(await ctx.passwords.verify(account.password_hash, input.password ?? ''))) {
      throw new ApiError('unauthorized', BAD_CREDENTIALS);
    }
    await forgive(ctx.counters, budget);
  } else if (input.password !== undefined || !account?.password_hash) {
    if (input.password === undefined) throw new ApiError('invalid_request', 'Choose a password (password).');
    newHash = await ctx.passwords.hash(checkedNewPassword(input.password));
  }
  if (link.kind === 'sign-in' && !account) throw new ApiError('not_found', 'The account of this link is gone.');
  const now = ctx.clock.now();
  if (!(await ctx.sessions.consumeLink(link.id, now))) {
    throw new ApiError('not_found', 'This link has been used, has expired, or never existed.');
  }
  if (!account) {
    account = {
      id: ctx.random.uuid(),
      email: link.email,
      password_hash: newHash ?? null,
      totp_secret_enc: null,
      totp_pending_enc: null,
      totp_last_counter: null,
      totp_enabled_at: null,
      created_at: now,
      updated_at: now,
    };
    try {
      await ctx.accounts.insert(account);
    } catch (err) {
      throw new ApiError('conflict', 'An account with this email was just created. Use the link again.', {
        cause: err,
      });
    }
  } else if (newHash) {
    await ctx.accounts.setPassword(account.id, newHash, now);
    // A new password ends every session signed in with the old one.
    await ctx.sessions.revokeAll(account.id, now);
  }
  if (link.kind === 'invite' && link.tenant_id && link.role) {
    await ctx.accounts.addMembership({
      tenant_id: link.tenant_id,
      account_id: account.id,
      role: link.role as Role,
      created_at: now,
    });
  }
  const status = statusAfterPassword(ctx, account);
  return { status, session: await openSession(ctx, account.id, status, meta) };
}

import type { OperatorAccountRow } from '../../storage/schema.js';
import type { OperatorContext } from './context.js';
import { type IssuedLink, issueLink } from './links.js';
import { checkedEmail, checkedNewPassword } from './operators.js';
import type { Role } from './roles.js';

export interface ProvisionedOperator {
  accountId: string;
  email: string;
  tenantId: string;
  role: Role;
  created: boolean;
  /** A one-time sign-in link (24 hours), when no password was given. */
  link?: IssuedLink;
}

/**
 * Creates an operator account, or finds the one with this email, and makes it a member of the tenant
 * with `role` (`sigil admin create`, the development bootstrap). With a password the account can sign
 * in at once (an existing account's password is replaced, and its sessions end); without one, the
 * answer holds a one-time sign-in link that sets it.
 */
export async function provisionOperator(
  ctx: OperatorContext,
  input: { email: string; password?: string | undefined; tenantId: string; role: Role },
): Promise<ProvisionedOperator> {
  const email = checkedEmail(input.email);
  const passwordHash =
    input.password === undefined ? null : await ctx.passwords.hash(checkedNewPassword(input.password));
  const now = ctx.clock.now();
  let account = await ctx.accounts.byEmail(email);
  const created = account === undefined;
  if (!account) {
    const row: OperatorAccountRow = {
      id: ctx.random.uuid(),
      email,
      password_hash: passwordHash,
      totp_secret_enc: null,
      totp_pending_enc: null,
      totp_last_counter: null,
      totp_enabled_at: null,
      created_at: now,
      updated_at: now,
    };
    await ctx.accounts.insert(row);
    account = row;
  } else if (passwordHash) {
    await ctx.accounts.setPassword(account.id, passwordHash, now);
    await ctx.sessions.revokeAll(account.id, now);
  }
  await ctx.accounts.addMembership(
    { tenant_id: input.tenantId, account_id: account.id, role: input.role, created_at: now },
    true,
  );
  const link =
    passwordHash === null
      ? await issueLink(ctx, { kind: 'sign-in', email, tenant_id: null, role: null, created_by: null })
      : undefined;
  return {
    accountId: account.id,
    email,
    tenantId: input.tenantId,
    role: input.role,
    created,
    ...(link ? { link } : {}),
  };
}

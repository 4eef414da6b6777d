import { ApiError, notFound } from '../../errors.js';
import type { Actor } from '../../http/actor.js';
import { iso } from '../../lib/clock.js';
import type { CreatedTenant } from '../tenants/service.js';
import type { OperatorContext } from './context.js';
import { issueLink } from './links.js';
import { checkedEmail } from './operators.js';
import type { Role } from './roles.js';

export interface MemberView {
  accountId: string;
  email: string;
  role: string;
  mfaEnabled: boolean;
  joinedAt: string;
}

export interface InviteView {
  inviteId: string;
  email: string;
  role: string;
  createdAt: string;
  expiresAt: string;
}

/** Owners, and the tenant's management key (the tenant's root credential), may grant or take the owner role. */
const actsAsOwner = (actor: Actor): boolean => actor.kind === 'key' || actor.role === 'owner';

function ownerOnly(actor: Actor): void {
  if (!actsAsOwner(actor)) throw new ApiError('forbidden', 'Only an owner grants or removes the owner role.');
}

export async function listMembers(ctx: Pick<OperatorContext, 'accounts'>, tenantId: string): Promise<MemberView[]> {
  return (await ctx.accounts.members(tenantId)).map((m) => ({
    accountId: m.account_id,
    email: m.email,
    role: m.role,
    mfaEnabled: m.totp_enabled_at !== null,
    joinedAt: iso(m.created_at),
  }));
}

async function memberOrThrow(ctx: Pick<OperatorContext, 'accounts'>, tenantId: string, accountId: string) {
  const member = (await ctx.accounts.members(tenantId)).find((m) => m.account_id === accountId);
  if (!member) throw notFound('No member with this accountId in this tenant.');
  return member;
}

function applied(outcome: 'changed' | 'not_found' | 'last_owner'): void {
  if (outcome === 'not_found') throw notFound('No member with this accountId in this tenant.');
  if (outcome === 'last_owner') {
    throw new ApiError('conflict', 'A tenant keeps at least one owner: make another member owner first.');
  }
}

export async function changeRole(
  ctx: Pick<OperatorContext, 'accounts'>,
  actor: Actor,
  accountId: string,
  role: Role,
): Promise<MemberView> {
  const member = await memberOrThrow(ctx, actor.tenantId, accountId);
  if (role === 'owner' || member.role === 'owner') ownerOnly(actor);
  applied(await ctx.accounts.changeMember(actor.tenantId, accountId, role));
  return {
    accountId,
    email: member.email,
    role,
    mfaEnabled: member.totp_enabled_at !== null,
    joinedAt: iso(member.created_at),
  };
}

export async function removeMember(ctx: Pick<OperatorContext, 'accounts'>, actor: Actor, accountId: string) {
  const member = await memberOrThrow(ctx, actor.tenantId, accountId);
  if (member.role === 'owner') ownerOnly(actor);
  applied(await ctx.accounts.changeMember(actor.tenantId, accountId, undefined));
  return { success: true };
}

export async function listInvites(ctx: Pick<OperatorContext, 'sessions' | 'clock'>, tenantId: string) {
  const links = await ctx.sessions.openLinks(tenantId, 'invite', ctx.clock.now());
  return links.map(
    (l): InviteView => ({
      inviteId: l.id,
      email: l.email,
      role: l.role ?? 'viewer',
      createdAt: iso(l.created_at),
      expiresAt: iso(l.expires_at),
    }),
  );
}

/** An invitation by one-time link, valid 7 days; the link is in this answer only. */
export async function invite(
  ctx: OperatorContext,
  actor: Actor,
  input: { email: string; role: Role },
): Promise<InviteView & { link: string }> {
  const email = checkedEmail(input.email);
  if (input.role === 'owner') ownerOnly(actor);
  const existing = await ctx.accounts.byEmail(email);
  if (existing && (await ctx.accounts.membership(actor.tenantId, existing.id))) {
    throw new ApiError('conflict', `${email} is already a member of this tenant.`);
  }
  const link = await issueLink(ctx, {
    kind: 'invite',
    email,
    tenant_id: actor.tenantId,
    role: input.role,
    created_by: actor.kind === 'operator' ? actor.accountId : null,
  });
  return {
    inviteId: link.linkId,
    email,
    role: input.role,
    createdAt: iso(link.createdAt),
    expiresAt: iso(link.expiresAt),
    link: link.url,
  };
}

export async function revokeInvite(ctx: Pick<OperatorContext, 'sessions' | 'clock'>, tenantId: string, id: string) {
  if (!(await ctx.sessions.revokeLink(tenantId, id, ctx.clock.now()))) {
    throw notFound('No open invitation with this inviteId in this tenant.');
  }
  return { success: true };
}

/** An owner of any tenant creates another and becomes its owner; its keys are shown this once. */
export async function createTenant(ctx: OperatorContext, accountId: string, name: string): Promise<CreatedTenant> {
  if (!(await ctx.accounts.isOwnerAnywhere(accountId))) {
    throw new ApiError('forbidden', 'Only an owner of a tenant may create tenants.');
  }
  const created = await ctx.tenants.create(name);
  await ctx.accounts.addMembership({
    tenant_id: created.tenantId,
    account_id: accountId,
    role: 'owner',
    created_at: ctx.clock.now(),
  });
  return created;
}

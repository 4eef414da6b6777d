import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Deps } from '../../deps.js';
import { responses, Success } from '../../http/contract.js';
import * as c from './contracts.js';
import { changeRole, invite, listInvites, listMembers, removeMember, revokeInvite } from './team.js';

const tags = ['Management API'];

/** Management API: the tenant's members and invitations (docs/portal-access.md). */
export const teamRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  const ctx = deps.operators;

  app.get(
    '/members',
    { config: { permission: 'team:read' }, schema: { tags, response: responses(Type.Array(c.Member)) } },
    (req) => listMembers(ctx, req.tenantId),
  );

  app.patch(
    '/members/:accountId',
    {
      config: { permission: 'team:write' },
      schema: { tags, params: c.MemberParams, body: c.RoleBody, response: responses(c.Member) },
    },
    (req) => changeRole(ctx, req.actor, req.params.accountId, req.body.role),
  );

  app.delete(
    '/members/:accountId',
    {
      config: { permission: 'team:write', fresh: true },
      schema: { tags, params: c.MemberParams, response: responses(Success) },
    },
    (req) => removeMember(ctx, req.actor, req.params.accountId),
  );

  app.get(
    '/invites',
    { config: { permission: 'team:read' }, schema: { tags, response: responses(Type.Array(c.Invite)) } },
    (req) => listInvites(ctx, req.tenantId),
  );

  app.post(
    '/invites',
    {
      config: { permission: 'team:write' },
      schema: { tags, body: c.InviteBody, response: responses(c.CreatedInvite) },
    },
    (req) => invite(ctx, req.actor, req.body),
  );

  app.delete(
    '/invites/:inviteId',
    {
      config: { permission: 'team:write' },
      schema: { tags, params: c.InviteParams, response: responses(Success) },
    },
    (req) => revokeInvite(ctx, req.tenantId, req.params.inviteId),
  );
};

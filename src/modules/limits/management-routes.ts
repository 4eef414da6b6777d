import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Deps } from '../../deps.js';
import { responses, Success } from '../../http/contract.js';
import {
  createSmsConfiguration,
  deleteSmsConfiguration,
  getSmsConfiguration,
  getSmsDefences,
  listAuthenticatorConfigurations,
  updateSmsConfiguration,
  updateSmsDefences,
} from './authenticator-configuration.js';
import {
  SmsAuthenticatorCreate,
  SmsAuthenticatorPatch,
  SmsAuthenticatorReply,
  SmsDefencesPatch,
  SmsPolicyReply,
} from './policy-contracts.js';

const tags = ['Management API'];
const security = [{ managementKey: [] }];
const SMS = '/authenticator-configurations/sms';

/**
 * Management API for the SMS policy: Authsignal's SMS authenticator configuration, at its paths (what
 * its Terraform provider and Go management client call), and Sigil's own defences beside it.
 */
export const limitsManagementRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.get(
    '/authenticator-configurations',
    {
      config: { permission: 'config:read' },
      schema: { tags, security, response: responses(Type.Array(SmsAuthenticatorReply)) },
    },
    (req) => listAuthenticatorConfigurations(deps, req.tenantId),
  );
  app.post(
    SMS,
    {
      config: { permission: 'config:write' },
      schema: {
        tags,
        security,
        description: 'Creates the configuration: the first SMS provider and the limits. 409 when one exists.',
        body: SmsAuthenticatorCreate,
        response: responses(SmsAuthenticatorReply),
      },
    },
    (req) => createSmsConfiguration(deps, req.tenantId, req.body),
  );
  app.get(
    SMS,
    { config: { permission: 'config:read' }, schema: { tags, security, response: responses(SmsAuthenticatorReply) } },
    (req) => getSmsConfiguration(deps, req.tenantId),
  );
  app.patch(
    SMS,
    {
      config: { permission: 'config:write' },
      schema: { tags, security, body: SmsAuthenticatorPatch, response: responses(SmsAuthenticatorReply) },
    },
    (req) => updateSmsConfiguration(deps, req.tenantId, req.body),
  );
  app.delete(
    SMS,
    {
      config: { permission: 'config:write', fresh: true },
      schema: {
        tags,
        security,
        description: 'Removes the first SMS provider (failover entries stay) and resets the limits.',
        response: responses(Success),
      },
    },
    (req) => deleteSmsConfiguration(deps, req.tenantId),
  );

  app.get(
    '/sms-defences',
    { config: { permission: 'config:read' }, schema: { tags, security, response: responses(SmsPolicyReply) } },
    (req) => getSmsDefences(deps, req.tenantId),
  );
  app.patch(
    '/sms-defences',
    {
      config: { permission: 'config:write' },
      schema: { tags, security, body: SmsDefencesPatch, response: responses(SmsPolicyReply) },
    },
    (req) => updateSmsDefences(deps, req.tenantId, req.body),
  );
};

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Deps } from '../../deps.js';
import {
  AnyObject,
  Body,
  Clearable,
  NonEmpty,
  Opt,
  Params,
  Reply,
  responses,
  Str,
  Success,
} from '../../http/contract.js';

const tags = ['Management API'];
const CodeParams = Params({ actionCode: NonEmpty(64) });
const RuleParams = Params({ actionCode: NonEmpty(64), ruleId: NonEmpty(64) });
const Methods = () => Type.Array(Str(64), { maxItems: 32 });

const settingsFields = {
  verificationMethods: Clearable(Methods()),
  promptToEnrollVerificationMethods: Clearable(Methods()),
  defaultVerificationMethod: Clearable(Str(64)),
};

const configFields = {
  defaultUserActionResult: Opt(Str(16)),
  ...settingsFields,
  messagingTemplates: Clearable(AnyObject()),
  verificationWebhookUrl: Clearable(Str(2048)),
};
/** Creating names the action; a PATCH names it in the path and changes only what it sends. */
const ActionConfigCreate = Body({ actionCode: Str(64), ...configFields });
const ActionConfigPatch = Body(configFields);

const ActionConfig = Reply({
  tenantId: Type.String(),
  actionCode: Type.String(),
  defaultUserActionResult: Type.String(),
  ...settingsFields,
  messagingTemplates: Clearable(AnyObject()),
  verificationWebhookUrl: Clearable(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

/** A rule's `conditions` are JsonLogic: any JSON value, checked and compiled by the service when saved. */
const ruleFields = {
  description: Clearable(Str(1000)),
  isActive: Opt(Type.Boolean()),
  priority: Opt(Type.Integer()),
  ...settingsFields,
};
const RuleCreate = Body({
  name: Str(200),
  type: Str(16),
  conditions: Type.Unknown({ description: 'JsonLogic' }),
  ...ruleFields,
});
const RulePatch = Body({
  name: Opt(Str(200)),
  type: Opt(Str(16)),
  conditions: Opt(Type.Unknown({ description: 'JsonLogic' })),
  ...ruleFields,
});

const Rule = Reply({
  ruleId: Type.String(),
  tenantId: Type.String(),
  actionCode: Type.String(),
  name: Type.String(),
  description: Type.Optional(Type.String()),
  isActive: Type.Boolean(),
  priority: Type.Integer(),
  type: Type.String(),
  conditions: Type.Unknown(),
  ...settingsFields,
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

/**
 * Management API for action configurations and their rules, at Authsignal's paths. One docs page spells
 * the collection `action_configurations`, so both spellings are served. `null` clears a setting here.
 */
export const actionManagementRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  const service = deps.actionConfigs;
  for (const base of ['/action-configurations', '/action_configurations']) {
    const schema = <T extends object>(s: T) => ({ tags, ...s });
    app.get(
      base,
      { config: { permission: 'config:read' }, schema: schema({ response: responses(Type.Array(ActionConfig)) }) },
      (req) => service.listConfigs(req.tenantId),
    );
    app.post(
      base,
      {
        config: { permission: 'config:write' },
        schema: schema({ body: ActionConfigCreate, response: responses(ActionConfig) }),
      },
      (req) => service.createConfig(req.tenantId, req.body),
    );
    app.get(
      `${base}/:actionCode`,
      {
        config: { permission: 'config:read' },
        schema: schema({ params: CodeParams, response: responses(ActionConfig) }),
      },
      (req) => service.getConfig(req.tenantId, req.params.actionCode),
    );
    app.patch(
      `${base}/:actionCode`,
      {
        config: { permission: 'config:write' },
        schema: schema({ params: CodeParams, body: ActionConfigPatch, response: responses(ActionConfig) }),
      },
      (req) => service.updateConfig(req.tenantId, req.params.actionCode, req.body),
    );
    app.delete(
      `${base}/:actionCode`,
      { config: { permission: 'config:write' }, schema: schema({ params: CodeParams, response: responses(Success) }) },
      (req) => service.deleteConfig(req.tenantId, req.params.actionCode),
    );

    app.get(
      `${base}/:actionCode/rules`,
      {
        config: { permission: 'config:read' },
        schema: schema({ params: CodeParams, response: responses(Type.Array(Rule)) }),
      },
      (req) => service.listRules(req.tenantId, req.params.actionCode),
    );
    app.post(
      `${base}/:actionCode/rules`,
      {
        config: { permission: 'config:write' },
        schema: schema({ params: CodeParams, body: RuleCreate, response: responses(Rule) }),
      },
      (req) => service.createRule(req.tenantId, req.params.actionCode, req.body),
    );
    app.get(
      `${base}/:actionCode/rules/:ruleId`,
      { config: { permission: 'config:read' }, schema: schema({ params: RuleParams, response: responses(Rule) }) },
      (req) => service.getRule(req.tenantId, req.params.actionCode, req.params.ruleId),
    );
    app.patch(
      `${base}/:actionCode/rules/:ruleId`,
      {
        config: { permission: 'config:write' },
        schema: schema({ params: RuleParams, body: RulePatch, response: responses(Rule) }),
      },
      (req) => service.updateRule(req.tenantId, req.params.actionCode, req.params.ruleId, req.body),
    );
    app.delete(
      `${base}/:actionCode/rules/:ruleId`,
      { config: { permission: 'config:write' }, schema: schema({ params: RuleParams, response: responses(Success) }) },
      (req) => service.deleteRule(req.tenantId, req.params.actionCode, req.params.ruleId),
    );
  }
};

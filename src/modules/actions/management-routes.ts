import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { nonEmpty, object } from '../../http/schemas.js';

type Body = Record<string, unknown>;
const codeParams = object({ actionCode: nonEmpty(64) }, ['actionCode']);
const ruleParams = object({ actionCode: nonEmpty(64), ruleId: nonEmpty(64) }, ['actionCode', 'ruleId']);
const anyObject = { type: 'object' } as const;

/**
 * Management API for action configurations and their rules, at Authsignal's paths. One docs page spells
 * the collection `action_configurations`, so both spellings are served.
 */
export async function actionManagementRoutes(app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const service = deps.actionConfig;
  for (const base of ['/action-configurations', '/action_configurations']) {
    app.get(base, (req) => service.listConfigs(req.tenantId));
    app.post<{ Body: Body }>(base, { schema: { body: anyObject } }, (req) =>
      service.createConfig(req.tenantId, req.body),
    );

    type Code = { actionCode: string };
    app.get<{ Params: Code }>(`${base}/:actionCode`, { schema: { params: codeParams } }, (req) =>
      service.getConfig(req.tenantId, req.params.actionCode),
    );
    app.patch<{ Params: Code; Body: Body }>(
      `${base}/:actionCode`,
      { schema: { params: codeParams, body: anyObject } },
      (req) => service.updateConfig(req.tenantId, req.params.actionCode, req.body),
    );
    app.delete<{ Params: Code }>(`${base}/:actionCode`, { schema: { params: codeParams } }, (req) =>
      service.deleteConfig(req.tenantId, req.params.actionCode),
    );

    app.get<{ Params: Code }>(`${base}/:actionCode/rules`, { schema: { params: codeParams } }, (req) =>
      service.listRules(req.tenantId, req.params.actionCode),
    );
    app.post<{ Params: Code; Body: Body }>(
      `${base}/:actionCode/rules`,
      { schema: { params: codeParams, body: anyObject } },
      (req) => service.createRule(req.tenantId, req.params.actionCode, req.body),
    );

    type Rule = Code & { ruleId: string };
    app.get<{ Params: Rule }>(`${base}/:actionCode/rules/:ruleId`, { schema: { params: ruleParams } }, (req) =>
      service.getRule(req.tenantId, req.params.actionCode, req.params.ruleId),
    );
    app.patch<{ Params: Rule; Body: Body }>(
      `${base}/:actionCode/rules/:ruleId`,
      { schema: { params: ruleParams, body: anyObject } },
      (req) => service.updateRule(req.tenantId, req.params.actionCode, req.params.ruleId, req.body),
    );
    app.delete<{ Params: Rule }>(`${base}/:actionCode/rules/:ruleId`, { schema: { params: ruleParams } }, (req) =>
      service.deleteRule(req.tenantId, req.params.actionCode, req.params.ruleId),
    );
  }
}

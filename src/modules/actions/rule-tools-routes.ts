import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Deps } from '../../deps.js';
import { Body, NonEmpty, Nullable, Opt, Params, Reply, responses, Str } from '../../http/contract.js';
import { checkConditions } from './rules.js';
import { MAX_SIMULATION_DAYS, simulateRules } from './simulate.js';
import { actionsSummary } from './summary.js';
import { RULE_VARIABLES } from './variables.js';

const tags = ['Management API'];
const Conditions = () => Type.Unknown({ description: 'JsonLogic' });
const VariableType = Type.Union(['string', 'number', 'boolean', 'string[]'].map((t) => Type.Literal(t)));

const OutcomeCounts = Reply({
  ALLOW: Type.Integer(),
  CHALLENGE_REQUIRED: Type.Integer(),
  REVIEW_REQUIRED: Type.Integer(),
  BLOCK: Type.Integer(),
});
const ActionCodeSummary = Reply({
  actionCode: Type.String(),
  configured: Type.Boolean(),
  lastSeenAt: Nullable(Type.String()),
  last24h: OutcomeCounts,
});

const RuleVariable = Reply({
  name: Type.String(),
  type: VariableType,
  description: Type.String(),
  example: Type.Optional(Type.Unknown()),
  pattern: Type.Optional(Type.String()),
  types: Type.Optional(Type.Array(VariableType)),
});

const ValidateBody = Body({ conditions: Type.Optional(Conditions()) });
const Validation = Reply({
  valid: Type.Boolean(),
  errors: Type.Array(Reply({ path: Type.String(), message: Type.String() })),
});

/** A draft rule: the fields of a rule that decide, checked as the rule routes check them. */
const DraftRule = Body({
  ruleId: Opt(Str(64)),
  name: Str(200),
  priority: Opt(Type.Integer()),
  isActive: Opt(Type.Boolean()),
  type: Str(16),
  conditions: Conditions(),
  description: Opt(Str(1000)),
});
const SimulateBody = Body({
  days: Type.Integer({ minimum: 1, maximum: MAX_SIMULATION_DAYS }),
  defaultAction: Opt(Str(16)),
  rules: Type.Array(DraftRule, { maxItems: 100 }),
});
const Simulation = Reply({
  evaluated: Type.Integer(),
  changed: Type.Integer(),
  unchanged: Type.Integer(),
  transitions: Type.Array(Reply({ from: Type.String(), to: Type.String(), count: Type.Integer() })),
  sample: Type.Array(
    Reply({
      actionId: Type.String(),
      userId: Nullable(Type.String()),
      createdAt: Type.String(),
      from: Type.String(),
      to: Type.String(),
      ruleName: Nullable(Type.String()),
    }),
  ),
  notReconstructed: Type.Array(Type.String()),
  truncated: Type.Boolean(),
  days: Type.Integer(),
  defaultAction: Type.String(),
  tookMs: Type.Number(),
});

/**
 * What the portal's actions and rules page reads besides the configurations: the summary of every
 * action code, the variable catalogue, a dry validation of draft conditions and the simulation.
 */
export const ruleToolRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.get(
    '/actions/summary',
    { config: { permission: 'activity:read' }, schema: { tags, response: responses(Type.Array(ActionCodeSummary)) } },
    (req) => actionsSummary(deps, req.tenantId),
  );
  app.get(
    '/rule-variables',
    { config: { permission: 'config:read' }, schema: { tags, response: responses(Type.Array(RuleVariable)) } },
    () => [...RULE_VARIABLES],
  );
  app.post(
    '/rules/validate',
    { config: { permission: 'config:read' }, schema: { tags, body: ValidateBody, response: responses(Validation) } },
    (req) => {
      const { problems } = checkConditions(req.body.conditions);
      return { valid: problems.length === 0, errors: problems };
    },
  );
  for (const base of ['/action-configurations', '/action_configurations']) {
    app.post(
      `${base}/:actionCode/simulate`,
      {
        config: { permission: 'activity:read' },
        schema: {
          tags,
          params: Params({ actionCode: NonEmpty(64) }),
          body: SimulateBody,
          response: responses(Simulation),
        },
      },
      (req) => simulateRules(deps, req.tenantId, req.params.actionCode, req.body),
    );
  }
};

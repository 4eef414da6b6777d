import { type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ApiError, invalidRequest, notFound } from '../../errors.js';
import type { Clock } from '../../lib/clock.js';
import type { Random } from '../../lib/random.js';
import { TtlCache } from '../../lib/ttl-cache.js';
import type { ActionConfigurationRow, RuleRow } from '../../storage/schema.js';
import { ACTION_CODE_PATTERN } from './actions.js';
import type { ActionConfigStore } from './config-store.js';
import { CONDITIONS_REQUIRED, type CompiledRule, compileConditions, RULE_OUTCOMES, type RuleOutcome } from './rules.js';

type Body = Record<string, unknown>;

export interface ActionPolicy {
  defaultOutcome: RuleOutcome;
  rules: CompiledRule[];
}

/**
 * The Management API's action configurations and rules. Rules are compiled when saved (a rule that
 * cannot be evaluated is refused then) and again, from the stored text, when track needs them; compiled
 * policies are cached briefly per action and dropped on every local write.
 */
export class ActionConfigService {
  private readonly policies: TtlCache<ActionPolicy>;

  constructor(
    private readonly store: ActionConfigStore,
    private readonly clock: Clock,
    private readonly random: Random,
    cacheTtlMs: number,
  ) {
    this.policies = new TtlCache(cacheTtlMs, () => clock.now());
  }

  /** What track applies to an action: its active rules and its default. No configuration means ALLOW. */
  policy(tenantId: string, actionCode: string): Promise<ActionPolicy> {
    return this.policies.get(`${tenantId}:${actionCode}`, async () => {
      const [config, rules] = await Promise.all([
        this.store.getConfig(tenantId, actionCode),
        this.store.listRules(tenantId, actionCode),
      ]);
      return {
        defaultOutcome: (config?.default_user_action_result as RuleOutcome | undefined) ?? 'ALLOW',
        rules: rules.filter((r) => r.is_active === 1).map(compileOrFail),
      };
    });
  }

  async createConfig(tenantId: string, body: Body) {
    const actionCode = body.actionCode;
    if (typeof actionCode !== 'string' || !ACTION_CODE_PATTERN.test(actionCode)) {
      throw invalidRequest('actionCode must match ^[a-zA-Z0-9_-]{1,64}$');
    }
    const now = this.clock.now();
    const row: ActionConfigurationRow = {
      tenant_id: tenantId,
      action_code: actionCode,
      default_user_action_result: outcome(body.defaultUserActionResult ?? 'ALLOW', 'defaultUserActionResult'),
      settings: JSON.stringify(configSettings(body)),
      created_at: now,
      updated_at: now,
    };
    if (!(await this.store.insertConfig(row))) {
      throw new ApiError('conflict', `Action "${actionCode}" already has a configuration; change it with PATCH`);
    }
    this.policies.delete(`${tenantId}:${actionCode}`);
    return configView(row);
  }

  async getConfig(tenantId: string, actionCode: string) {
    return configView(await this.requireConfig(tenantId, actionCode));
  }

  async listConfigs(tenantId: string) {
    return (await this.store.listConfigs(tenantId)).map(configView);
  }

  async updateConfig(tenantId: string, actionCode: string, body: Body) {
    const current = await this.requireConfig(tenantId, actionCode);
    const updated = await this.store.updateConfig(tenantId, actionCode, {
      default_user_action_result:
        body.defaultUserActionResult === undefined
          ? current.default_user_action_result
          : outcome(body.defaultUserActionResult, 'defaultUserActionResult'),
      settings: JSON.stringify({ ...storedSettings(current.settings, CONFIG_SETTINGS), ...configSettings(body) }),
      updated_at: this.clock.now(),
    });
    this.policies.delete(`${tenantId}:${actionCode}`);
    if (!updated) throw notFound(`Action "${actionCode}" has no configuration`);
    return configView(updated);
  }

  async deleteConfig(tenantId: string, actionCode: string) {
    if (!(await this.store.deleteConfig(tenantId, actionCode)))
      throw notFound(`Action "${actionCode}" has no configuration`);
    this.policies.delete(`${tenantId}:${actionCode}`);
    return { success: true };
  }

  async createRule(tenantId: string, actionCode: string, body: Body) {
    await this.requireConfig(tenantId, actionCode);
    const now = this.clock.now();
    const row = ruleRow(body, { id: this.random.uuid(), tenantId, actionCode, now, created: now });
    compileStored(row);
    await this.store.insertRule(row);
    this.policies.delete(`${tenantId}:${actionCode}`);
    return ruleView(row);
  }

  async listRules(tenantId: string, actionCode: string) {
    await this.requireConfig(tenantId, actionCode);
    return (await this.store.listRules(tenantId, actionCode)).map(ruleView);
  }

  async getRule(tenantId: string, actionCode: string, ruleId: string) {
    return ruleView(await this.requireRule(tenantId, actionCode, ruleId));
  }

  async updateRule(tenantId: string, actionCode: string, ruleId: string, body: Body) {
    const current = ruleView(await this.requireRule(tenantId, actionCode, ruleId));
    const merged = { ...current, ...body };
    const row = ruleRow(merged, {
      id: ruleId,
      tenantId,
      actionCode,
      now: this.clock.now(),
      created: Date.parse(current.createdAt),
    });
    compileStored(row);
    await this.store.updateRule(row);
    this.policies.delete(`${tenantId}:${actionCode}`);
    return ruleView(row);
  }

  async deleteRule(tenantId: string, actionCode: string, ruleId: string) {
    if (!(await this.store.deleteRule(tenantId, actionCode, ruleId))) throw notFound('No rule with this ruleId exists');
    this.policies.delete(`${tenantId}:${actionCode}`);
    return { success: true };
  }

  /** Names and descriptions of rules, in the given order; rules deleted since are left out. */
  async ruleSummaries(tenantId: string, actionCode: string, ruleIds: string[]) {
    if (ruleIds.length === 0) return [];
    const rules = new Map((await this.store.listRules(tenantId, actionCode)).map((r) => [r.id, r]));
    return ruleIds.flatMap((id) => {
      const rule = rules.get(id);
      return rule
        ? [{ ruleId: id, name: rule.name, ...(rule.description ? { description: rule.description } : {}) }]
        : [];
    });
  }

  /**
   * A draft rule set, checked as the rule routes check a rule (the same function, so the same messages,
   * each prefixed with the rule's place) and compiled once, for the simulation. Inactive rules are left
   * out, as track leaves them out; without a draft default, the action's saved default applies.
   */
  async draftPolicy(tenantId: string, actionCode: string, draft: { defaultAction?: unknown; rules: Body[] }) {
    const now = this.clock.now();
    const rules = draft.rules.flatMap((body, i) => {
      try {
        const row = ruleRow(body, { id: String(body.ruleId ?? `draft-${i}`), tenantId, actionCode, now, created: now });
        return row.is_active === 1 ? [compileStored(row)] : [];
      } catch (err) {
        if (err instanceof ApiError) throw invalidRequest(`rules[${i}]: ${err.description}`, { cause: err });
        throw err;
      }
    });
    const defaultOutcome =
      draft.defaultAction === undefined
        ? (await this.policy(tenantId, actionCode)).defaultOutcome
        : outcome(draft.defaultAction, 'defaultAction');
    return { defaultOutcome, rules } satisfies ActionPolicy;
  }

  /** The action codes that have a configuration. */
  async configuredCodes(tenantId: string): Promise<string[]> {
    return (await this.store.listConfigs(tenantId)).map((c) => c.action_code);
  }

  private async requireConfig(tenantId: string, actionCode: string) {
    const config = await this.store.getConfig(tenantId, actionCode);
    if (!config) throw notFound(`Action "${actionCode}" has no configuration`);
    return config;
  }

  private async requireRule(tenantId: string, actionCode: string, ruleId: string) {
    const rule = await this.store.getRule(tenantId, actionCode, ruleId);
    if (!rule) throw notFound('No rule with this ruleId exists');
    return rule;
  }
}

function outcome(value: unknown, field: string): RuleOutcome {
  if (typeof value === 'string' && (RULE_OUTCOMES as readonly string[]).includes(value)) return value as RuleOutcome;
  throw invalidRequest(`${field} must be one of ${RULE_OUTCOMES.join(', ')}`);
}

const CONFIG_SETTINGS = [
  'verificationMethods',
  'promptToEnrollVerificationMethods',
  'defaultVerificationMethod',
  'messagingTemplates',
  'verificationWebhookUrl',
] as const;

function configSettings(body: Body): Body {
  return Object.fromEntries(CONFIG_SETTINGS.filter((k) => body[k] !== undefined).map((k) => [k, body[k]]));
}

function configView(row: ActionConfigurationRow) {
  return {
    tenantId: row.tenant_id,
    actionCode: row.action_code,
    defaultUserActionResult: row.default_user_action_result,
    ...storedSettings(row.settings, CONFIG_SETTINGS),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/** What each stored setting must be; anything else is not shown. */
const SETTING_SCHEMAS: Record<string, TSchema> = {
  verificationMethods: Type.Array(Type.String()),
  promptToEnrollVerificationMethods: Type.Array(Type.String()),
  defaultVerificationMethod: Type.String(),
  messagingTemplates: Type.Record(Type.String(), Type.Unknown()),
  verificationWebhookUrl: Type.String(),
};

/**
 * The known settings of a stored row, each of its declared type (or null, which clears it). Rows saved
 * before the route contracts existed could hold any JSON; a value the response schema cannot serialise
 * must not turn every read of the configuration into a 500, so it is left out.
 */
function storedSettings(text: string, keys: readonly string[]): Body {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  if (!parsed || typeof parsed !== 'object') return {};
  const stored = parsed as Body;
  return Object.fromEntries(
    keys
      .filter((k) => Object.hasOwn(stored, k))
      .filter(
        (k) => stored[k] === null || (SETTING_SCHEMAS[k] !== undefined && Value.Check(SETTING_SCHEMAS[k], stored[k])),
      )
      .map((k) => [k, stored[k]]),
  );
}

const RULE_SETTINGS = [
  'verificationMethods',
  'promptToEnrollVerificationMethods',
  'defaultVerificationMethod',
] as const;

function ruleRow(
  body: Body,
  at: { id: string; tenantId: string; actionCode: string; now: number; created: number },
): RuleRow {
  if (typeof body.name !== 'string' || body.name.trim() === '' || body.name.length > 200) {
    throw invalidRequest('name is required (at most 200 characters)');
  }
  if (body.description !== undefined && body.description !== null && typeof body.description !== 'string') {
    throw invalidRequest('description must be a string');
  }
  const priority = body.priority ?? 0;
  if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 0 || priority > 99) {
    throw invalidRequest('priority must be an integer from 0 (applied first) to 99');
  }
  if (body.isActive !== undefined && typeof body.isActive !== 'boolean')
    throw invalidRequest('isActive must be a boolean');
  if (body.conditions === undefined) throw invalidRequest(CONDITIONS_REQUIRED);
  return {
    id: at.id,
    tenant_id: at.tenantId,
    action_code: at.actionCode,
    name: body.name.trim(),
    description: (body.description as string | undefined) ?? null,
    is_active: body.isActive === false ? 0 : 1,
    priority,
    type: outcome(body.type, 'type'),
    conditions: JSON.stringify(body.conditions),
    settings: JSON.stringify(
      Object.fromEntries(RULE_SETTINGS.filter((k) => body[k] !== undefined).map((k) => [k, body[k]])),
    ),
    created_at: at.created,
    updated_at: at.now,
  };
}

function compileStored(row: RuleRow): CompiledRule {
  const { test, velocityWindows, variables } = compileConditions(JSON.parse(row.conditions));
  return {
    ...compileStoredHead(row),
    test,
    velocityWindows,
    variables,
  };
}

/**
 * A stored rule that no longer compiles (saved before a check was added) must not turn every track of
 * its action into an error: it counts as not matching, and evaluate reports why through onError.
 */
function compileOrFail(row: RuleRow): CompiledRule {
  try {
    return compileStored(row);
  } catch (err) {
    const fail = (): boolean => {
      throw err;
    };
    return { ...compileStoredHead(row), test: fail, velocityWindows: [], variables: [] };
  }
}

function compileStoredHead(row: RuleRow) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    priority: row.priority,
    type: row.type as RuleOutcome,
  };
}

export function ruleView(row: RuleRow) {
  return {
    ruleId: row.id,
    tenantId: row.tenant_id,
    actionCode: row.action_code,
    name: row.name,
    ...(row.description ? { description: row.description } : {}),
    isActive: row.is_active === 1,
    priority: row.priority,
    type: row.type,
    conditions: JSON.parse(row.conditions),
    ...storedSettings(row.settings, RULE_SETTINGS),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

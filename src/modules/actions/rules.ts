import { LogicEngine } from 'json-logic-engine';
import { invalidRequest } from '../../errors.js';
import type { ActionState } from './actions.js';
import { emptyContext, type RuleContext, unknownVariableReason, VELOCITY_PATTERN } from './variables.js';

export const RULE_OUTCOMES = ['ALLOW', 'CHALLENGE', 'REVIEW', 'BLOCK'] as const;
export type RuleOutcome = (typeof RULE_OUTCOMES)[number];

const STATE_OF: Record<RuleOutcome, ActionState> = {
  ALLOW: 'ALLOW',
  CHALLENGE: 'CHALLENGE_REQUIRED',
  REVIEW: 'REVIEW_REQUIRED',
  BLOCK: 'BLOCK',
};

export const stateOf = (outcome: RuleOutcome): ActionState => STATE_OF[outcome];

const engine = new LogicEngine();

export interface CompiledRule {
  id: string;
  name: string;
  description: string | null;
  priority: number;
  type: RuleOutcome;
  test(context: RuleContext): boolean;
  /** The velocity windows (minutes) this rule reads, so track computes only those. */
  velocityWindows: number[];
  /** Every variable the rule reads, so track skips the costly ones nobody asks for. */
  variables: string[];
}

/**
 * Compiles JsonLogic conditions, refusing what could not be evaluated at track time: unknown operators,
 * variables outside the catalogue, non-object roots, and logic that throws on an empty context.
 */
export function compileConditions(conditions: unknown): Pick<CompiledRule, 'test' | 'velocityWindows' | 'variables'> {
  if (typeof conditions !== 'object' || conditions === null || Array.isArray(conditions)) {
    throw invalidRequest('conditions must be a JsonLogic object, for example {"and": [...]}');
  }
  const variables = collectVariables(conditions);
  for (const name of variables) {
    const reason = unknownVariableReason(name);
    if (reason) throw invalidRequest(`conditions: ${reason}`);
  }
  let fn: (data: unknown) => unknown;
  try {
    fn = engine.build(conditions) as (data: unknown) => unknown;
    fn(emptyContext());
  } catch (err) {
    throw invalidRequest(`conditions are not valid JsonLogic: ${describe(err)}`, { cause: err });
  }
  const velocityWindows = [...variables].flatMap((name) => {
    const match = VELOCITY_PATTERN.exec(name);
    return match ? [Number(match[1])] : [];
  });
  return { test: (context) => fn(context) === true, velocityWindows, variables: [...variables] };
}

/**
 * Every `var` name in a JsonLogic tree. A `var` whose name is not a plain string is refused, and so is
 * an operator that is not the engine's own: the engine keeps its operators in a plain object, so
 * `constructor`, `toString` or `__defineGetter__` would otherwise be called as operators (the last one
 * throws from a promise nobody awaits, which would end the process). Recursion is bounded by the
 * body's depth (MAX_JSON_DEPTH, src/http/json.ts).
 */
function collectVariables(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) {
    for (const item of node) collectVariables(item, out);
  } else if (typeof node === 'object' && node !== null) {
    for (const [operator, args] of Object.entries(node)) {
      if (!Object.hasOwn(engine.methods, operator)) {
        throw invalidRequest(`conditions are not valid JsonLogic: Unknown Operator "${operator.slice(0, 64)}"`);
      }
      if (operator === 'var') {
        const name = Array.isArray(args) ? args[0] : args;
        if (typeof name !== 'string' || name === '') throw invalidRequest('conditions: "var" must name a variable');
        out.add(name);
      } else if (operator === 'preserve') {
        // Data, not logic: its members are never run as operators.
      } else {
        collectVariables(args, out);
      }
    }
  }
  return out;
}

/**
 * Applies the rules to a context. Every matching rule is reported; the one with the lowest priority
 * number decides the outcome. A rule that throws at run time counts as not matching: a bad rule can
 * weaken a decision, never turn a track into a 500.
 */
export function evaluate(
  rules: CompiledRule[],
  context: RuleContext,
  onError: (rule: CompiledRule, err: unknown) => void,
) {
  const matched = rules.filter((rule) => {
    try {
      return rule.test(context);
    } catch (err) {
      onError(rule, err);
      return false;
    }
  });
  matched.sort((a, b) => a.priority - b.priority);
  return { matched, decisive: matched[0] };
}

/** json-logic-engine throws plain objects such as `{type: 'Unknown Operator', key: 'frobnicate'}`. */
function describe(err: unknown): string {
  if (err instanceof Error && err.message) return err.message;
  if (typeof err === 'object' && err !== null && 'type' in err) {
    const { type, key } = err as { type: unknown; key?: unknown };
    return key === undefined ? String(type) : `${String(type)} "${String(key)}"`;
  }
  return 'the engine refused it';
}

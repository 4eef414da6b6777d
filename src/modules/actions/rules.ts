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

/** One problem with a rule's conditions: where (a JSON Pointer into them, "" for the root) and what. */
export interface ConditionProblem {
  path: string;
  message: string;
}

export const CONDITIONS_REQUIRED = 'conditions are required (JsonLogic)';

type Built = Pick<CompiledRule, 'test' | 'velocityWindows' | 'variables'>;

/**
 * Checks JsonLogic conditions against what track can evaluate: unknown operators, variables outside the
 * catalogue, non-object roots, and logic that throws on an empty context. Every problem is listed, in
 * the order met; the rule routes refuse with the first one, `POST /rules/validate` shows them all, so
 * the two always give the same message.
 */
export function checkConditions(conditions: unknown): { problems: ConditionProblem[]; built?: Built } {
  if (conditions === undefined) return { problems: [{ path: '', message: CONDITIONS_REQUIRED }] };
  if (typeof conditions !== 'object' || conditions === null || Array.isArray(conditions)) {
    return { problems: [{ path: '', message: 'conditions must be a JsonLogic object, for example {"and": [...]}' }] };
  }
  const problems: ConditionProblem[] = [];
  const variables = new Set<string>();
  collectVariables(conditions, '', variables, problems);
  if (problems.length > 0) return { problems };
  let fn: (data: unknown) => unknown;
  try {
    fn = engine.build(conditions) as (data: unknown) => unknown;
    fn(emptyContext());
  } catch (err) {
    return { problems: [{ path: '', message: `conditions are not valid JsonLogic: ${describe(err)}` }] };
  }
  const velocityWindows = [...variables].flatMap((name) => {
    const match = VELOCITY_PATTERN.exec(name);
    return match ? [Number(match[1])] : [];
  });
  return { problems, built: { test: (context) => fn(context) === true, velocityWindows, variables: [...variables] } };
}

/** Compiles conditions, or refuses them with the first problem checkConditions finds (400 invalid_request). */
export function compileConditions(conditions: unknown): Built {
  const { problems, built } = checkConditions(conditions);
  if (!built) throw invalidRequest(problems[0]?.message ?? CONDITIONS_REQUIRED);
  return built;
}

const pointer = (path: string, key: string | number) =>
  `${path}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;

/**
 * Every `var` name in a JsonLogic tree. A `var` whose name is not a plain string is refused, and so is
 * an operator that is not the engine's own: the engine keeps its operators in a plain object, so
 * `constructor`, `toString` or `__defineGetter__` would otherwise be called as operators (the last one
 * throws from a promise nobody awaits, which would end the process). Recursion is bounded by the
 * body's depth (MAX_JSON_DEPTH, src/http/json.ts).
 */
function collectVariables(node: unknown, path: string, out: Set<string>, problems: ConditionProblem[]): void {
  if (Array.isArray(node)) {
    for (const [i, item] of node.entries()) collectVariables(item, pointer(path, i), out, problems);
  } else if (typeof node === 'object' && node !== null) {
    for (const [operator, args] of Object.entries(node)) {
      const at = pointer(path, operator);
      if (!Object.hasOwn(engine.methods, operator)) {
        problems.push({
          path: at,
          message: `conditions are not valid JsonLogic: Unknown Operator "${operator.slice(0, 64)}"`,
        });
      } else if (operator === 'var') {
        const name = Array.isArray(args) ? args[0] : args;
        if (typeof name !== 'string' || name === '') {
          problems.push({ path: at, message: 'conditions: "var" must name a variable' });
          continue;
        }
        const reason = unknownVariableReason(name);
        if (reason) problems.push({ path: at, message: `conditions: ${reason}` });
        else out.add(name);
      } else if (operator === 'preserve') {
        // Data, not logic: its members are never run as operators.
      } else {
        collectVariables(args, at, out, problems);
      }
    }
  }
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

/** The rules in the order they decide: by priority, ties in the given order (as evaluate's stable sort). */
export const byPriority = (rules: readonly CompiledRule[]): CompiledRule[] =>
  [...rules].sort((a, b) => a.priority - b.priority);

/**
 * The rule that decides, without listing every match: the first of `ordered` (from byPriority) that
 * matches, which is the rule evaluate calls decisive. For the simulation, which applies one rule set
 * to many actions and needs no per-action allocation. A rule that throws counts as not matching.
 */
export function decide(ordered: readonly CompiledRule[], context: RuleContext): CompiledRule | undefined {
  for (const rule of ordered) {
    try {
      if (rule.test(context)) return rule;
    } catch {
      // As at track time: a failing rule does not match.
    }
  }
  return undefined;
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

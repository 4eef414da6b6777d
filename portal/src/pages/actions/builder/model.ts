import type { RuleVariable } from '../../../api/types';

/**
 * The rule builder's model and its two-way translation to JsonLogic. A rule is a group (AND or OR) of
 * conditions and nested groups; a condition is a variable, an operator suited to the variable's type,
 * and a value. JsonLogic that the builder cannot draw (hand-written in the raw view) stays editable as
 * raw JSON: `fromJsonLogic` returns null for it.
 */
export interface Condition {
  kind: 'condition';
  id: string;
  variable: string;
  operator: OperatorId;
  /** As typed: a number, a word, or a comma-separated list, read by the operator. */
  value: string;
}

export interface Group {
  kind: 'group';
  id: string;
  combinator: 'and' | 'or';
  children: (Condition | Group)[];
}

export type OperatorId =
  | 'eq'
  | 'ne'
  | 'gt'
  | 'ge'
  | 'lt'
  | 'le'
  | 'inList'
  | 'notInList'
  | 'contains'
  | 'isTrue'
  | 'isFalse';

export interface Operator {
  id: OperatorId;
  label: string;
  /** No value to type (is true / is false). */
  unary?: boolean;
}

const OP: Record<OperatorId, Operator> = {
  eq: { id: 'eq', label: 'equals' },
  ne: { id: 'ne', label: 'does not equal' },
  gt: { id: 'gt', label: 'is greater than' },
  ge: { id: 'ge', label: 'is at least' },
  lt: { id: 'lt', label: 'is less than' },
  le: { id: 'le', label: 'is at most' },
  inList: { id: 'inList', label: 'is one of' },
  notInList: { id: 'notInList', label: 'is none of' },
  contains: { id: 'contains', label: 'contains' },
  isTrue: { id: 'isTrue', label: 'is true', unary: true },
  isFalse: { id: 'isFalse', label: 'is false', unary: true },
};

export function operatorsFor(type: RuleVariable['type']): Operator[] {
  switch (type) {
    case 'number':
      return [OP.eq, OP.ne, OP.gt, OP.ge, OP.lt, OP.le];
    case 'boolean':
      return [OP.isTrue, OP.isFalse];
    case 'string[]':
      return [OP.contains];
    default:
      return [OP.eq, OP.ne, OP.inList, OP.notInList, OP.contains];
  }
}

let counter = 0;
const newId = (): string => {
  counter += 1;
  return `n${counter}`;
};

export const newCondition = (variable = '', operator: OperatorId = 'eq'): Condition => ({
  kind: 'condition',
  id: newId(),
  variable,
  operator,
  value: '',
});
export const newGroup = (combinator: 'and' | 'or' = 'and', children: (Condition | Group)[] = []): Group => ({
  kind: 'group',
  id: newId(),
  combinator,
  children,
});

/** A catalogue entry for a variable name: exact, or a pattern such as velocity.sameActionLast<N>Minutes. */
export function catalogueEntry(catalogue: RuleVariable[], name: string): RuleVariable | undefined {
  return (
    catalogue.find((v) => v.name === name) ??
    catalogue.find((v) => v.name.includes('<') && patternOf(v.name).test(name))
  );
}

export const patternOf = (name: string): RegExp =>
  new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/<[^>]+>/g, '(.+)')}$`);

function typed(value: string, type: RuleVariable['type'] | undefined): unknown {
  const text = value.trim();
  if (type === 'number') return text === '' || Number.isNaN(Number(text)) ? text : Number(text);
  return text;
}

const list = (value: string, type: RuleVariable['type'] | undefined) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => typed(s, type));

/** The builder's tree as JsonLogic. */
export function toJsonLogic(node: Condition | Group, catalogue: RuleVariable[]): unknown {
  if (node.kind === 'group') return { [node.combinator]: node.children.map((c) => toJsonLogic(c, catalogue)) };
  const type = catalogueEntry(catalogue, node.variable)?.type;
  const v = { var: node.variable };
  const value = typed(node.value, type);
  switch (node.operator) {
    case 'eq':
      return { '==': [v, value] };
    case 'ne':
      return { '!=': [v, value] };
    case 'gt':
      return { '>': [v, value] };
    case 'ge':
      return { '>=': [v, value] };
    case 'lt':
      return { '<': [v, value] };
    case 'le':
      return { '<=': [v, value] };
    case 'inList':
      return { in: [v, list(node.value, type)] };
    case 'notInList':
      return { '!': { in: [v, list(node.value, type)] } };
    case 'contains':
      return { in: [value, v] };
    case 'isTrue':
      return { '==': [v, true] };
    case 'isFalse':
      return { '==': [v, false] };
  }
}

const BINARY: Record<string, OperatorId> = { '==': 'eq', '!=': 'ne', '>': 'gt', '>=': 'ge', '<': 'lt', '<=': 'le' };

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const varName = (x: unknown): string | undefined =>
  isObject(x) && Object.keys(x).length === 1 && typeof x.var === 'string' ? x.var : undefined;
const scalar = (x: unknown): x is string | number => typeof x === 'string' || typeof x === 'number';

/** JsonLogic as the builder's tree, or null when the builder cannot draw it. The root is always a group. */
export function fromJsonLogic(logic: unknown): Group | null {
  const node = parseNode(logic);
  if (!node) return null;
  return node.kind === 'group' ? node : newGroup('and', [node]);
}

function parseNode(logic: unknown): Condition | Group | null {
  if (!isObject(logic)) return null;
  const keys = Object.keys(logic);
  if (keys.length !== 1) return null;
  const op = keys[0] as string;
  const args = logic[op];
  if ((op === 'and' || op === 'or') && Array.isArray(args)) {
    const children = args.map(parseNode);
    return children.every((c) => c !== null) ? newGroup(op, children as (Condition | Group)[]) : null;
  }
  if (op === '!') {
    const inner = Array.isArray(args) && args.length === 1 ? args[0] : args;
    const parsed = parseNode(inner);
    return parsed?.kind === 'condition' && parsed.operator === 'inList' ? { ...parsed, operator: 'notInList' } : null;
  }
  if (!Array.isArray(args) || args.length !== 2) return null;
  const [left, right] = args;
  const name = varName(left);
  if (op in BINARY && name !== undefined) {
    if (right === true && op === '==') return { ...newCondition(name, 'isTrue') };
    if (right === false && op === '==') return { ...newCondition(name, 'isFalse') };
    if (!scalar(right)) return null;
    return { ...newCondition(name, BINARY[op] as OperatorId), value: String(right) };
  }
  if (op === 'in' && name !== undefined && Array.isArray(right) && right.every(scalar)) {
    return { ...newCondition(name, 'inList'), value: right.join(', ') };
  }
  const container = varName(right);
  if (op === 'in' && container !== undefined && scalar(left)) {
    return { ...newCondition(container, 'contains'), value: String(left) };
  }
  return null;
}

/** Replaces the node with `id` in the tree (or removes it, with null). */
export function updateNode(root: Group, id: string, next: Condition | Group | null): Group {
  const walk = (group: Group): Group => ({
    ...group,
    children: group.children.flatMap((child) => {
      if (child.id === id) return next ? [next] : [];
      return [child.kind === 'group' ? walk(child) : child];
    }),
  });
  return walk(root);
}

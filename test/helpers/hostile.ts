import fc from 'fast-check';

/**
 * Generators of hostile values for the fuzz test (test/http/fuzz.test.ts): strings that have made servers
 * answer 500 before (NUL, prototype keys, lone surrogates, very long ones), values of the wrong type,
 * deep nesting, and JsonLogic with operators that are not JsonLogic's.
 */

/** Strings that name Object.prototype members: a lookup by a request value must never find one. */
export const PROTOTYPE_NAMES = [
  '__proto__',
  'constructor',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__lookupGetter__',
  'prototype',
];

export const HOSTILE_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '%00',
  ...PROTOTYPE_NAMES,
  'x'.repeat(600),
  'x'.repeat(256),
  'x'.repeat(65),
  '😀',
  '\u202eevil',
  '\ud800',
  'a\udfffb',
  '\uffff',
  '\u0007\u001b[31m',
  '\r\n',
  '..',
  '.',
  '/',
  '%',
  '%zz',
  '%ff',
  "' OR '1'='1",
  '{"$ne":null}',
  '$where',
  'null',
  'undefined',
  'NaN',
  '-1',
  '1e400',
  '<script>alert(1)</script>',
  '{code}',
  '{constructor}',
  'Ω≈ç√',
];

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }).map((s) => `${s}\u0000${s}`) },
);

/** `{"a":{"a":…}}` nested `depth` deep, built iteratively so that building it cannot overflow. */
export function nested(depth: number, leaf: unknown = 1, key = 'a'): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = { [key]: value };
  return value;
}

/** The JSON text of `depth` nested arrays or objects, without building the value. */
export function nestedText(depth: number, kind: 'object' | 'array' = 'object'): string {
  return kind === 'array'
    ? `${'['.repeat(depth)}1${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** An object with an own member called `key`, even `__proto__` (a literal would set the prototype instead). */
export function withKey(key: string, value: unknown, base: Record<string, unknown> = {}): Record<string, unknown> {
  return Object.defineProperty({ ...base }, key, { value, enumerable: true, writable: true, configurable: true });
}

const { hostileValue } = fc.letrec<{ hostileValue: unknown }>((tie) => ({
  hostileValue: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 4, arbitrary: hostileString },
    fc.integer(),
    fc.constantFrom(0, -1, 1.5, 1e308, -0, Number.MAX_SAFE_INTEGER + 2),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('hostileValue'), { maxLength: 3 }),
    fc.tuple(fc.constantFrom(...PROTOTYPE_NAMES, 'a'), tie('hostileValue')).map(([k, v]) => withKey(k, v)),
    fc.integer({ min: 20, max: 40 }).map((d) => nested(d)),
  ),
}));

/** Any JSON value, of any type, with the strings above. */
export { hostileValue };

/** JsonLogic-shaped values: real operators and catalogue variables, mixed with prototype names. */
const OPERATORS = ['and', 'or', '==', '!=', '>', '<', 'in', '!', 'if', 'some', 'all', 'map', 'preserve', 'cat'];
const VARIABLES = ['custom.amount', 'user.phoneNumber', 'device.isNew', 'velocity.sameActionLast5Minutes'];
export const jsonLogic: fc.Arbitrary<unknown> = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...VARIABLES, ...PROTOTYPE_NAMES, 'custom.constructor').map((v) => ({ var: v })),
    fc.oneof(fc.integer(), fc.boolean(), hostileString),
    fc
      .tuple(fc.constantFrom(...OPERATORS, ...PROTOTYPE_NAMES), fc.array(tie('node'), { maxLength: 3 }))
      .map(([op, args]) => withKey(op, args)),
  ),
})).node;

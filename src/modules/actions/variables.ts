/**
 * The variables that rule conditions can read (`{"var": "..."}`), all filled in by Sigil itself. This
 * catalogue is the one source: rules are validated against it when saved, and the Management API serves
 * it (`GET /v1/management/rule-variables`) for the portal's rule builder. docs/rules.md explains each.
 */
export type RuleVariableType = 'string' | 'number' | 'boolean' | 'string[]';

export interface RuleVariable {
  /** The name a rule reads; a family such as `custom.<name>` names its parameter in angle brackets. */
  name: string;
  type: RuleVariableType;
  description: string;
  example?: unknown;
  /** A family's names, as a regular expression (absent for a fixed name). */
  pattern?: string;
  /** Every type a family's value may have, when it may have several (`custom.<name>`). */
  types?: RuleVariableType[];
}

/** `velocity.sameActionLast<N>Minutes`: this user's earlier actions with this code in the last N minutes. */
export const VELOCITY_PATTERN = /^velocity\.sameActionLast([1-9][0-9]{0,4})Minutes$/;
export const MAX_VELOCITY_MINUTES = 10_080; // one week

const CUSTOM_PATTERN = /^custom\.[A-Za-z0-9_-]{1,64}$/;

const fixed = (name: string, type: RuleVariableType, description: string, example: unknown): RuleVariable => ({
  name,
  type,
  description,
  example,
});

export const RULE_VARIABLES: readonly RuleVariable[] = [
  fixed('action.code', 'string', 'The action code being tracked.', 'withdraw'),
  fixed('ip.address', 'string', "track's attributes.ipAddress.", '203.0.113.7'),
  fixed(
    'ip.location.country.countryCode',
    'string',
    'ISO 3166 alpha-2 country of ip.address (GeoLite2 country data).',
    'NZ',
  ),
  fixed('device.id', 'string', "track's attributes.deviceId (the browser SDK's __as_aid cookie).", 'c0ffee-device'),
  fixed(
    'device.isNew',
    'boolean',
    'True the first time this user is tracked with this deviceId; null without a deviceId.',
    true,
  ),
  fixed('device.userAgent', 'string', "track's attributes.userAgent.", 'Mozilla/5.0 (X11; Linux x86_64)'),
  fixed('user.id', 'string', 'The userId.', 'user-123'),
  fixed('user.isEnrolled', 'boolean', 'The user has at least one authenticator.', false),
  fixed('user.email', 'string', "The user's email (track's attributes.email updates it).", 'ana@example.com'),
  fixed(
    'user.phoneNumber',
    'string',
    "The user's number in E.164 (track's attributes.phoneNumber updates it).",
    '+64211234567',
  ),
  fixed('user.phoneNumberCountryCode', 'string', 'ISO country of user.phoneNumber.', 'AU'),
  {
    name: 'velocity.sameActionLast<N>Minutes',
    type: 'number',
    description: `How many actions with this code the user started in the last N minutes, not counting this one; N from 1 to ${MAX_VELOCITY_MINUTES}.`,
    example: 3,
    pattern: VELOCITY_PATTERN.source,
  },
  {
    name: 'custom.<name>',
    type: 'string',
    types: ['string', 'number', 'boolean'],
    description: "track's attributes.custom.<name>: a string, number or boolean.",
    example: 250,
    pattern: CUSTOM_PATTERN.source,
  },
];

const FIXED_NAMES: ReadonlySet<string> = new Set(RULE_VARIABLES.filter((v) => !v.pattern).map((v) => v.name));
const KNOWN = RULE_VARIABLES.map((v) => v.name).join(', ');

/** Why a variable name is not in the catalogue, or undefined when it is. */
export function unknownVariableReason(name: string): string | undefined {
  if (FIXED_NAMES.has(name) || CUSTOM_PATTERN.test(name)) return undefined;
  const velocity = VELOCITY_PATTERN.exec(name);
  if (velocity) {
    return Number(velocity[1]) <= MAX_VELOCITY_MINUTES ? undefined : `${name}: at most ${MAX_VELOCITY_MINUTES} minutes`;
  }
  return `Unknown variable "${name}". Known: ${KNOWN}`;
}

export interface RuleContext {
  action: { code: string };
  ip: { address: string | null; location: { country: { countryCode: string | null } } };
  device: { id: string | null; isNew: boolean | null; userAgent: string | null };
  user: {
    id: string;
    /** Null only in a simulation, which cannot tell what the user had enrolled then. */
    isEnrolled: boolean | null;
    email: string | null;
    phoneNumber: string | null;
    phoneNumberCountryCode: string | null;
  };
  velocity: Record<string, number>;
  custom: Record<string, string | number | boolean>;
}

/** A context with every catalogue variable empty, to check at save time that a rule evaluates. */
export function emptyContext(): RuleContext {
  return {
    action: { code: '' },
    ip: { address: null, location: { country: { countryCode: null } } },
    device: { id: null, isNew: null, userAgent: null },
    user: { id: '', isEnrolled: false, email: null, phoneNumber: null, phoneNumberCountryCode: null },
    velocity: {},
    custom: {},
  };
}

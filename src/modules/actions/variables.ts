/**
 * The variables that rule conditions can read (`{"var": "..."}`), all filled in by Sigil itself. The
 * catalogue is documented in docs/rules.md; a rule that names anything else is refused when it is saved.
 */
export const FIXED_VARIABLES = [
  'action.code',
  'ip.address',
  'ip.location.country.countryCode',
  'device.id',
  'device.isNew',
  'device.userAgent',
  'user.id',
  'user.isEnrolled',
  'user.email',
  'user.phoneNumber',
  'user.phoneNumberCountryCode',
] as const;

/** `velocity.sameActionLast<N>Minutes`: this user's earlier actions with this code in the last N minutes. */
export const VELOCITY_PATTERN = /^velocity\.sameActionLast([1-9][0-9]{0,4})Minutes$/;
export const MAX_VELOCITY_MINUTES = 10_080; // one week

const CUSTOM_PATTERN = /^custom\.[A-Za-z0-9_-]{1,64}$/;

/** Why a variable name is not in the catalogue, or undefined when it is. */
export function unknownVariableReason(name: string): string | undefined {
  if ((FIXED_VARIABLES as readonly string[]).includes(name) || CUSTOM_PATTERN.test(name)) return undefined;
  const velocity = VELOCITY_PATTERN.exec(name);
  if (velocity) {
    return Number(velocity[1]) <= MAX_VELOCITY_MINUTES ? undefined : `${name}: at most ${MAX_VELOCITY_MINUTES} minutes`;
  }
  return `Unknown variable "${name}". Known: ${FIXED_VARIABLES.join(', ')}, velocity.sameActionLast<N>Minutes, custom.<name>`;
}

export interface RuleContext {
  action: { code: string };
  ip: { address: string | null; location: { country: { countryCode: string | null } } };
  device: { id: string | null; isNew: boolean | null; userAgent: string | null };
  user: {
    id: string;
    isEnrolled: boolean;
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

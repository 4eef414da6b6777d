import { invalidRequest } from '../../errors.js';

/** The scopes a challenge token may carry (docs/wire-protocol.md §4.10). */
const SCOPES = ['read:authenticators', 'add:authenticators', 'update:authenticators', 'remove:authenticators'] as const;
export type Scope = (typeof SCOPES)[number];

/** Every scope: what a token from a passed Client API challenge may do, for 10 minutes. */
export const MANAGE_SCOPE = SCOPES.join(' ');

export type ScopeParse = { ok: true; scopes: Set<Scope> } | { ok: false; error: string };

function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/**
 * Parses a space-separated scope string: absent or empty is no scope; unknown scopes are an error rather
 * than silently ignored. Returns the error as a value; `requestScopes` is the one translation to a 400.
 */
export function parseScopes(scope: unknown): ScopeParse {
  if (scope === undefined || scope === null || scope === '') return { ok: true, scopes: new Set() };
  if (typeof scope !== 'string') return { ok: false, error: 'scope must be a string' };
  const scopes = new Set<Scope>();
  for (const s of scope.split(/\s+/).filter(Boolean)) {
    if (!isScope(s)) return { ok: false, error: `Unknown scope "${s}"` };
    scopes.add(s);
  }
  return { ok: true, scopes };
}

/** The scopes a request asked for (track, challenge); a bad scope is a 400 `invalid_request`. */
export function requestScopes(scope: unknown): Set<Scope> {
  const parsed = parseScopes(scope);
  if (!parsed.ok) throw invalidRequest(parsed.error);
  return parsed.scopes;
}

/**
 * The scopes of a value Sigil wrote itself (a stored challenge, a signed token), already checked when it
 * was requested; anything unparseable grants nothing.
 */
export function grantedScopes(scope: string | null | undefined): Set<Scope> {
  const parsed = parseScopes(scope);
  return parsed.ok ? parsed.scopes : new Set();
}

/** The scopes that let a verified code write an authenticator, in the order given. */
export function enrollmentScopes(scopes: Set<Scope>): Scope[] {
  return [...scopes].filter((s) => s === 'add:authenticators' || s === 'update:authenticators');
}

export function formatScopes(scopes: Iterable<Scope>): string {
  return [...scopes].join(' ');
}

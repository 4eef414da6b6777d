/** Action states (docs/wire-protocol.md §10.1). */
export const ACTION_STATES = [
  'ALLOW',
  'BLOCK',
  'CHALLENGE_REQUIRED',
  'CHALLENGE_SUCCEEDED',
  'CHALLENGE_FAILED',
  'REVIEW_REQUIRED',
  'REVIEW_SUCCEEDED',
  'REVIEW_FAILED',
] as const;
export type ActionState = (typeof ACTION_STATES)[number];

/** Action codes as Authsignal accepts them. */
export const ACTION_CODE_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * One string that track stored with the action (its attributes are the track body as JSON): the
 * `locale`, `redirectUrl` or `ipAddress` later steps use. Undefined when absent, empty or not a string;
 * an older row may hold anything, so unreadable JSON is absent too.
 */
export function trackedAttribute(attributes: string | null, name: 'locale' | 'redirectUrl' | 'ipAddress') {
  if (!attributes) return undefined;
  try {
    const value = (JSON.parse(attributes) as Record<string, unknown>)[name];
    return typeof value === 'string' && value !== '' ? value : undefined;
  } catch {
    return undefined;
  }
}

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
 * What track stored with the action: its attributes are the track body as JSON. An older row may hold
 * anything, so unreadable JSON, or JSON that is not an object, reads as no attributes.
 */
export function trackedAttributes(attributes: string | null): Record<string, unknown> {
  if (!attributes) return {};
  try {
    const parsed: unknown = JSON.parse(attributes);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/**
 * One string that track stored with the action: the `locale`, `redirectUrl` or `ipAddress` later steps
 * use. Undefined when absent, empty or not a string.
 */
export function trackedAttribute(attributes: string | null, name: 'locale' | 'redirectUrl' | 'ipAddress') {
  const value = trackedAttributes(attributes)[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

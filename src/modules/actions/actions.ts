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

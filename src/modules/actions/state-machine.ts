import { ACTION_STATES, type ActionState } from './actions.js';

/**
 * The action state machine: every change of an action's state goes through `TRANSITIONS`, and the store
 * applies it with one conditional statement (`WHERE state IN movableFrom(event)`), so a race cannot slip
 * a state past the table. Pure: no I/O. The diagram is in docs/design.md ("Adaptive MFA").
 *
 * The rule the table holds: a code never reopens an action that rules blocked, that awaits or had a review,
 * or whose challenge already succeeded; and only a verified code makes an action CHALLENGE_SUCCEEDED, the
 * one state `validateChallenge` accepts.
 */

/** What moved an action into a state; kept in its history (`action_state_changes.reason`). */
export const STATE_REASONS = ['rules', 'challenge_sent', 'delivery_failed', 'verified', 'max_attempts', 'api'] as const;
export type StateReason = (typeof STATE_REASONS)[number];

/** The pseudo-state before the action's row exists: `track` and a first challenge create it. */
export const NEW = 'NEW';
export type FromState = ActionState | typeof NEW;

/** A change of state. `rules` (track's outcome) and `api` (updateAction) name their target; the others imply it. */
export type ActionEvent =
  | { reason: 'challenge_sent' | 'delivery_failed' | 'verified' | 'max_attempts' }
  | { reason: 'rules' | 'api'; to: ActionState };

export const REFUSED = 'refused';

/** States a new challenge may move: never BLOCK, REVIEW_* or CHALLENGE_SUCCEEDED. */
const CHALLENGEABLE: readonly FromState[] = [NEW, 'ALLOW', 'CHALLENGE_REQUIRED', 'CHALLENGE_FAILED'];

/**
 * For each reason, the states it may move an action to and, for each of those, the states it may move
 * it from. Anything not listed is refused.
 *
 * `api` is updateAction, the operator's decision (and the portal's review queue): ALLOW, BLOCK and the
 * REVIEW_* states, from any state, as Authsignal allows (for example CHALLENGE_REQUIRED → REVIEW_SUCCEEDED,
 * or BLOCK after a passed challenge, which `validateChallenge` then honours). Never a CHALLENGE_* state:
 * CHALLENGE_SUCCEEDED would forge a passed challenge that `validateChallenge` accepts, and
 * CHALLENGE_REQUIRED or CHALLENGE_FAILED would let a code reopen an action that rules blocked or a person
 * reviewed. Only the challenge flow writes those.
 */
const TRANSITIONS: {
  readonly [R in StateReason]: Readonly<Partial<Record<ActionState, readonly FromState[]>>>;
} = {
  rules: { ALLOW: [NEW], BLOCK: [NEW], CHALLENGE_REQUIRED: [NEW], REVIEW_REQUIRED: [NEW] },
  challenge_sent: { CHALLENGE_REQUIRED: CHALLENGEABLE },
  delivery_failed: { CHALLENGE_FAILED: CHALLENGEABLE },
  verified: { CHALLENGE_SUCCEEDED: ['CHALLENGE_REQUIRED'] },
  max_attempts: { CHALLENGE_FAILED: ['CHALLENGE_REQUIRED'] },
  api: {
    ALLOW: ACTION_STATES,
    BLOCK: ACTION_STATES,
    REVIEW_REQUIRED: ACTION_STATES,
    REVIEW_SUCCEEDED: ACTION_STATES,
    REVIEW_FAILED: ACTION_STATES,
  },
};

/** The state the event moves to, if the table has it for the event's reason. */
export function targetOf(event: ActionEvent): ActionState | undefined {
  const targets = TRANSITIONS[event.reason];
  if ('to' in event) return targets[event.to] ? event.to : undefined;
  return Object.keys(targets)[0] as ActionState | undefined;
}

/** All states the event may move from, NEW included when it may create the action. */
function sourcesOf(event: ActionEvent): readonly FromState[] {
  const to = targetOf(event);
  return to ? (TRANSITIONS[event.reason][to] ?? []) : [];
}

/** The state after `event` from `from`, or REFUSED. */
export function transition(from: FromState, event: ActionEvent): ActionState | typeof REFUSED {
  const to = targetOf(event);
  return to && sourcesOf(event).includes(from) ? to : REFUSED;
}

/** The existing states the store's conditional update may move (`WHERE state IN (…)`); empty when refused. */
export function movableFrom(event: ActionEvent): ActionState[] {
  return sourcesOf(event).filter((s): s is ActionState => s !== NEW);
}

/** Whether the event may create the action when its row does not exist. */
export function createsAction(event: ActionEvent): boolean {
  return sourcesOf(event).includes(NEW);
}

/** The states updateAction may set. */
export const OPERATOR_STATES = Object.keys(TRANSITIONS.api) as ActionState[];

/** The one state `validateChallenge` accepts (and then only once). */
export const VALIDATABLE_STATE: ActionState = 'CHALLENGE_SUCCEEDED';

/**
 * States in which the Client API starts no challenge: rules blocked the action or a person decides. No
 * code-driven reason moves them (the table test checks). CHALLENGE_SUCCEEDED is not closed: its token may
 * still enroll or change an authenticator, though the action's own state stays as it is.
 */
export const CLOSED_STATES: readonly ActionState[] = ['BLOCK', 'REVIEW_REQUIRED', 'REVIEW_SUCCEEDED', 'REVIEW_FAILED'];

export function isClosed(state: string): boolean {
  return (CLOSED_STATES as readonly string[]).includes(state);
}

export function isActionState(value: unknown): value is ActionState {
  return typeof value === 'string' && (ACTION_STATES as readonly string[]).includes(value);
}

/** Why the table refuses `event` from `from`, for a 400. */
export function refusal(from: FromState, event: ActionEvent): string {
  if (event.reason === 'api' && !targetOf(event)) {
    return `updateAction may set state to ${OPERATOR_STATES.join(', ')}; ${event.to} is set only by the challenge flow`;
  }
  return `An action in state ${from} cannot move with reason ${event.reason}`;
}

import { describe, expect, it } from 'vitest';
import { ACTION_STATES, type ActionState } from './actions.js';
import {
  type ActionEvent,
  CLOSED_STATES,
  createsAction,
  type FromState,
  isClosed,
  movableFrom,
  NEW,
  OPERATOR_STATES,
  REFUSED,
  refusal,
  STATE_REASONS,
  type StateReason,
  transition,
} from './state-machine.js';

const FROM: FromState[] = [NEW, ...ACTION_STATES];
const R = REFUSED;

/** The events: `rules` and `api` once per target, the others once. */
const EVENTS: ActionEvent[] = [
  ...ACTION_STATES.map((to): ActionEvent => ({ reason: 'rules', to })),
  { reason: 'challenge_sent' },
  { reason: 'delivery_failed' },
  { reason: 'verified' },
  { reason: 'max_attempts' },
  ...ACTION_STATES.map((to): ActionEvent => ({ reason: 'api', to })),
];

const label = (e: ActionEvent) => ('to' in e ? `${e.reason}→${e.to}` : e.reason);

/**
 * Written out by hand, not derived from the table: one row per event, one column per state in the order
 * NEW, ALLOW, BLOCK, CHALLENGE_REQUIRED, CHALLENGE_SUCCEEDED, CHALLENGE_FAILED, REVIEW_REQUIRED,
 * REVIEW_SUCCEEDED, REVIEW_FAILED.
 */
const CR = 'CHALLENGE_REQUIRED';
const CF = 'CHALLENGE_FAILED';
const EXPECTED: Record<string, (ActionState | typeof REFUSED)[]> = {
  'rules→ALLOW': ['ALLOW', R, R, R, R, R, R, R, R],
  'rules→BLOCK': ['BLOCK', R, R, R, R, R, R, R, R],
  'rules→CHALLENGE_REQUIRED': [CR, R, R, R, R, R, R, R, R],
  'rules→CHALLENGE_SUCCEEDED': [R, R, R, R, R, R, R, R, R],
  'rules→CHALLENGE_FAILED': [R, R, R, R, R, R, R, R, R],
  'rules→REVIEW_REQUIRED': ['REVIEW_REQUIRED', R, R, R, R, R, R, R, R],
  'rules→REVIEW_SUCCEEDED': [R, R, R, R, R, R, R, R, R],
  'rules→REVIEW_FAILED': [R, R, R, R, R, R, R, R, R],
  challenge_sent: [CR, CR, R, CR, R, CR, R, R, R],
  delivery_failed: [CF, CF, R, CF, R, CF, R, R, R],
  verified: [R, R, R, 'CHALLENGE_SUCCEEDED', R, R, R, R, R],
  max_attempts: [R, R, R, CF, R, R, R, R, R],
  'api→ALLOW': [R, ...ACTION_STATES.map(() => 'ALLOW' as const)],
  'api→BLOCK': [R, ...ACTION_STATES.map(() => 'BLOCK' as const)],
  'api→CHALLENGE_REQUIRED': [R, R, R, R, R, R, R, R, R],
  'api→CHALLENGE_SUCCEEDED': [R, R, R, R, R, R, R, R, R],
  'api→CHALLENGE_FAILED': [R, R, R, R, R, R, R, R, R],
  'api→REVIEW_REQUIRED': [R, ...ACTION_STATES.map(() => 'REVIEW_REQUIRED' as const)],
  'api→REVIEW_SUCCEEDED': [R, ...ACTION_STATES.map(() => 'REVIEW_SUCCEEDED' as const)],
  'api→REVIEW_FAILED': [R, ...ACTION_STATES.map(() => 'REVIEW_FAILED' as const)],
};

describe('action state machine', () => {
  it('covers every reason', () => {
    expect(new Set(EVENTS.map((e) => e.reason))).toEqual(new Set<StateReason>(STATE_REASONS));
    expect(Object.keys(EXPECTED).sort()).toEqual(EVENTS.map(label).sort());
  });

  const pairs = EVENTS.flatMap((event) =>
    FROM.map((from, i) => ({ from, event, expected: EXPECTED[label(event)]?.[i], name: label(event) })),
  );
  it.each(pairs)('$from + $name → $expected', ({ from, event, expected }) => {
    expect(transition(from, event)).toBe(expected);
  });

  it('gives the store the same from states as the table, NEW apart', () => {
    for (const event of EVENTS) {
      const allowed = ACTION_STATES.filter((s) => transition(s, event) !== REFUSED);
      expect(movableFrom(event), label(event)).toEqual(allowed);
      expect(createsAction(event), label(event)).toBe(transition(NEW, event) !== REFUSED);
    }
  });

  it('never lets a code reopen a closed or succeeded action', () => {
    const codeReasons: ActionEvent[] = [
      { reason: 'challenge_sent' },
      { reason: 'delivery_failed' },
      { reason: 'verified' },
      { reason: 'max_attempts' },
    ];
    for (const state of [...CLOSED_STATES, 'CHALLENGE_SUCCEEDED' as const]) {
      for (const event of codeReasons) expect(transition(state, event), `${state} ${event.reason}`).toBe(REFUSED);
    }
    expect(ACTION_STATES.filter(isClosed)).toEqual(['BLOCK', 'REVIEW_REQUIRED', 'REVIEW_SUCCEEDED', 'REVIEW_FAILED']);
  });

  it('reaches CHALLENGE_SUCCEEDED only by a verified code, and lets updateAction set only operator states', () => {
    const into = EVENTS.filter((e) => FROM.some((from) => transition(from, e) === 'CHALLENGE_SUCCEEDED'));
    expect(into.map(label)).toEqual(['verified']);
    expect(OPERATOR_STATES).toEqual(['ALLOW', 'BLOCK', 'REVIEW_REQUIRED', 'REVIEW_SUCCEEDED', 'REVIEW_FAILED']);
    expect(refusal('CHALLENGE_REQUIRED', { reason: 'api', to: 'CHALLENGE_SUCCEEDED' })).toMatch(
      /^updateAction may set state to ALLOW, BLOCK, REVIEW_REQUIRED, REVIEW_SUCCEEDED, REVIEW_FAILED; CHALLENGE_SUCCEEDED/,
    );
  });
});

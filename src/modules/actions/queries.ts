import { invalidRequest, notFound } from '../../errors.js';
import { type Clock, iso } from '../../lib/clock.js';
import type { ActionRow } from '../../storage/schema.js';
import type { UnitOfWork } from '../../storage/transactions.js';
import { ACTION_STATES } from './actions.js';
import type { ActionConfigService } from './config-service.js';
import { type ActionEvent, isActionState, REFUSED, refusal, transition } from './state-machine.js';
import type { ActionStore } from './store.js';

export interface ActionQueryDeps {
  actionStore: ActionStore;
  actionConfigs: Pick<ActionConfigService, 'ruleSummaries'>;
}

export interface ActionUpdateDeps extends ActionQueryDeps {
  clock: Clock;
  transaction: UnitOfWork<{ actions: ActionStore }>;
}

/** getAction: the action's record, with its rules, attributes and state history. */
export async function getAction(d: ActionQueryDeps, tenantId: string, userId: string, actionCode: string, key: string) {
  const action = await requireAction(d, tenantId, userId, actionCode, key);
  const [rules, history] = await Promise.all([
    d.actionConfigs.ruleSummaries(tenantId, actionCode, JSON.parse(action.rule_ids ?? '[]')),
    d.actionStore.history(tenantId, key),
  ]);
  return {
    ...summary(action),
    ruleIds: rules.map((r) => r.ruleId),
    ...(action.priority_rule_id ? { priorityRuleId: action.priority_rule_id } : {}),
    rules,
    output: {},
    attributes: JSON.parse(action.attributes ?? '{}'),
    stateHistory: history.map((h) => ({ state: h.state, reason: h.reason, at: iso(h.at) })),
  };
}

/**
 * updateAction: an operator's decision, for example REVIEW_REQUIRED → REVIEW_SUCCEEDED (the portal's review
 * queue). The state machine allows ALLOW, BLOCK and REVIEW_* from any state and never a CHALLENGE_* state:
 * setting CHALLENGE_SUCCEEDED would forge a passed challenge. A refused state is a 400.
 */
export async function updateAction(
  d: ActionUpdateDeps,
  tenantId: string,
  userId: string,
  actionCode: string,
  key: string,
  body: { state?: unknown },
) {
  if (!isActionState(body.state)) throw invalidRequest(`state must be one of ${ACTION_STATES.join(', ')}`);
  const event: ActionEvent = { reason: 'api', to: body.state };
  const action = await requireAction(d, tenantId, userId, actionCode, key);
  const from = isActionState(action.state) ? action.state : undefined;
  if (!from || transition(from, event) === REFUSED) throw invalidRequest(refusal(from ?? 'NEW', event));
  // The same table guards the UPDATE itself, so a concurrent change cannot slip past it.
  const now = d.clock.now();
  if (!(await d.transaction((tx) => tx.actions.setState(tenantId, key, { event, now })))) {
    throw invalidRequest(refusal(from, event));
  }
  return getAction(d, tenantId, userId, actionCode, key);
}

/** queryUserActions: a bare array, newest first. */
export async function queryUserActions(
  d: Pick<ActionQueryDeps, 'actionStore'>,
  tenantId: string,
  userId: string,
  q: { fromDate?: string; codes?: string; state?: string },
) {
  const from = q.fromDate ? Date.parse(q.fromDate) : undefined;
  if (from !== undefined && Number.isNaN(from)) throw invalidRequest('fromDate must be an ISO 8601 date');
  if (q.state && !(ACTION_STATES as readonly string[]).includes(q.state)) {
    throw invalidRequest(`state must be one of ${ACTION_STATES.join(', ')}`);
  }
  const codes = q.codes ? q.codes.split(',').filter(Boolean) : undefined;
  const rows = await d.actionStore.listForUser(tenantId, userId, { from, codes, state: q.state, limit: 1000 });
  return rows.map(summary);
}

function summary(row: ActionRow) {
  return {
    actionCode: row.action_code,
    idempotencyKey: row.idempotency_key,
    userId: row.user_id,
    state: row.state,
    stateUpdatedAt: iso(row.state_updated_at),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    ...(row.verification_method ? { verificationMethod: row.verification_method } : {}),
  };
}

async function requireAction(
  d: Pick<ActionQueryDeps, 'actionStore'>,
  tenantId: string,
  userId: string,
  actionCode: string,
  key: string,
) {
  const action = await d.actionStore.get(tenantId, key);
  if (!action || action.user_id !== userId || action.action_code !== actionCode) {
    throw notFound('No action with this idempotencyKey exists for this user and action');
  }
  return action;
}

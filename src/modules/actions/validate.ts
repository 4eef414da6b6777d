import type { TokenService } from '../tokens/service.js';
import { TokenError } from '../tokens/service.js';
import { VALIDATABLE_STATE } from './state-machine.js';
import type { ActionStore } from './store.js';

export interface ValidateRequest {
  token: string;
  action?: string;
  userId?: string;
}

/**
 * Checks a token against the server-side action it names. The signature only proves who issued the
 * token; the action row decides whether the challenge succeeded, so a later change of state is honoured.
 * Refusals are `200 {isValid:false, error}` (docs/wire-protocol.md §4.4).
 *
 * A success is accepted once. Tokens travel in redirect URLs (the pre-built UI appends `?token=`), where
 * browser history, logs and Referer headers can leak them; a replayed token must not authorise the
 * action a second time. Later validations of the same action answer isValid:false with its state.
 */
export async function validateChallenge(
  tokens: TokenService,
  actions: ActionStore,
  tenantId: string,
  req: ValidateRequest,
  now: number,
) {
  let claims: Awaited<ReturnType<TokenService['verify']>>;
  try {
    claims = await tokens.verify(req.token, tenantId);
  } catch (err) {
    if (err instanceof TokenError) return { isValid: false, error: err.message };
    throw err;
  }
  if (req.userId !== undefined && req.userId !== claims.userId) {
    return { isValid: false, error: 'The token was issued for another user.' };
  }
  if (req.action !== undefined && req.action !== claims.actionCode) {
    return { isValid: false, error: 'The token was issued for another action.' };
  }
  const action = await actions.get(tenantId, claims.idempotencyKey);
  if (!action || action.user_id !== claims.userId || action.action_code !== claims.actionCode) {
    return { isValid: false, error: 'The action for this token no longer exists.' };
  }
  const succeeded = action.state === VALIDATABLE_STATE;
  const firstValidation = succeeded && (await actions.markValidated(tenantId, action.idempotency_key, now));
  return {
    isValid: firstValidation,
    state: action.state,
    stateUpdatedAt: new Date(action.state_updated_at).toISOString(),
    userId: claims.userId,
    actionCode: action.action_code,
    action: action.action_code,
    idempotencyKey: action.idempotency_key,
    ...(action.verification_method ? { verificationMethod: action.verification_method } : {}),
    ...(succeeded && !firstValidation ? { error: 'This challenge has already been validated.' } : {}),
  };
}

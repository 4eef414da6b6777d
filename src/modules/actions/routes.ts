import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Deps } from '../../deps.js';
import { Body, NonEmpty, Opt, Params, Query, responses, Str } from '../../http/contract.js';
import { ActionRecord, ActionSummary, TrackRequest, TrackResponse, ValidateResponse } from './contracts.js';
import { getAction, queryUserActions, updateAction } from './queries.js';
import { trackAction } from './track.js';
import { validateChallenge } from './validate.js';

const tags = ['Server API'];
const ActionParams = Params({ userId: NonEmpty(), action: NonEmpty(64) });
const KeyParams = Params({ userId: NonEmpty(), action: NonEmpty(64), idempotencyKey: NonEmpty() });

/** Server API: track, the action record, operators' decisions, and validateChallenge. */
export const actionRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.post(
    '/users/:userId/actions/:action',
    { schema: { tags, params: ActionParams, body: TrackRequest, response: responses(TrackResponse) } },
    (req) => trackAction(deps, req.tenantId, req.params.userId, req.params.action, req.body),
  );

  app.get(
    '/users/:userId/actions/:action/:idempotencyKey',
    { schema: { tags, params: KeyParams, response: responses(ActionRecord) } },
    (req) => getAction(deps, req.tenantId, req.params.userId, req.params.action, req.params.idempotencyKey),
  );

  app.patch(
    '/users/:userId/actions/:action/:idempotencyKey',
    { schema: { tags, params: KeyParams, body: Body({ state: Str(64) }), response: responses(ActionRecord) } },
    (req) =>
      updateAction(deps, req.tenantId, req.params.userId, req.params.action, req.params.idempotencyKey, req.body),
  );

  app.get(
    '/users/:userId/actions',
    {
      schema: {
        tags,
        params: Params({ userId: NonEmpty() }),
        querystring: Query({ fromDate: Opt(Str(64)), codes: Opt(Str(2048)), state: Opt(Str(64)) }),
        response: responses(Type.Array(ActionSummary)),
      },
    },
    (req) => queryUserActions(deps, req.tenantId, req.params.userId, req.query),
  );

  app.post(
    '/validate',
    {
      schema: {
        tags,
        body: Body({ token: NonEmpty(4096), action: Opt(Str(64)), userId: Opt(Str()) }),
        response: responses(ValidateResponse),
      },
    },
    (req) => validateChallenge(deps.tokenService, deps.actionStore, req.tenantId, req.body, deps.clock.now()),
  );
};

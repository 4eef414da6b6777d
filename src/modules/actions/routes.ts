import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { bool, nonEmpty, object, str } from '../../http/schemas.js';
import { getAction, queryUserActions, updateAction } from './queries.js';
import { type TrackAttributes, trackAction } from './track.js';
import { type ValidateRequest, validateChallenge } from './validate.js';

const actionParams = object({ userId: nonEmpty(), action: nonEmpty(64) }, ['userId', 'action']);
const keyParams = object({ userId: nonEmpty(), action: nonEmpty(64), idempotencyKey: nonEmpty() }, [
  'userId',
  'action',
  'idempotencyKey',
]);

const trackBody = object({
  idempotencyKey: nonEmpty(),
  redirectUrl: str(2048),
  redirectToSettings: bool,
  ipAddress: str(64),
  userAgent: str(1024),
  deviceId: str(),
  scope: str(256),
  email: str(320),
  phoneNumber: str(64),
  username: str(),
  custom: {
    type: 'object',
    maxProperties: 100,
    additionalProperties: { type: ['string', 'number', 'boolean'], maxLength: 1024 },
  },
  challengeId: str(64),
  locale: str(35),
  customDomain: str(255),
});

type ActionParams = { userId: string; action: string };
type KeyParams = ActionParams & { idempotencyKey: string };

export async function actionRoutes(app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  app.post<{ Params: ActionParams; Body: TrackAttributes }>(
    '/users/:userId/actions/:action',
    { schema: { params: actionParams, body: trackBody } },
    (req) => trackAction(deps, req.tenantId, req.params.userId, req.params.action, req.body),
  );

  app.get<{ Params: KeyParams }>(
    '/users/:userId/actions/:action/:idempotencyKey',
    { schema: { params: keyParams } },
    (req) => getAction(deps, req.tenantId, req.params.userId, req.params.action, req.params.idempotencyKey),
  );

  app.patch<{ Params: KeyParams; Body: { state?: unknown } }>(
    '/users/:userId/actions/:action/:idempotencyKey',
    { schema: { params: keyParams, body: object({ state: str(64) }, ['state']) } },
    (req) =>
      updateAction(deps, req.tenantId, req.params.userId, req.params.action, req.params.idempotencyKey, req.body),
  );

  app.get<{ Params: { userId: string }; Querystring: { fromDate?: string; codes?: string; state?: string } }>(
    '/users/:userId/actions',
    {
      schema: {
        params: object({ userId: nonEmpty() }, ['userId']),
        querystring: object({ fromDate: str(64), codes: str(2048), state: str(64) }),
      },
    },
    (req) => queryUserActions(deps, req.tenantId, req.params.userId, req.query),
  );

  app.post<{ Body: ValidateRequest }>(
    '/validate',
    { schema: { body: object({ token: nonEmpty(4096), action: str(64), userId: str() }, ['token']) } },
    (req) => validateChallenge(deps.tokens, deps.actions, req.tenantId, req.body, deps.clock.now()),
  );
}

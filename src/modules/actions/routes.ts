import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { nonEmpty, object, str } from '../../http/schemas.js';
import { type ValidateRequest, validateChallenge } from './validate.js';

export async function actionRoutes(app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  app.post<{ Body: ValidateRequest }>(
    '/validate',
    { schema: { body: object({ token: nonEmpty(4096), action: str(64), userId: str() }, ['token']) } },
    (req) => validateChallenge(deps.tokens, deps.actions, req.tenantId, req.body),
  );
}

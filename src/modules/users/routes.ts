import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { invalidRequest } from '../../errors.js';
import { bool, nonEmpty, object, str, userIdParams } from '../../http/schemas.js';
import type { UserAttributes } from './users.js';

const nullable = (schema: object) => ({ anyOf: [schema, { type: 'null' }] });

const attributesSchema = object({
  email: nullable(str(320)),
  emailVerified: bool,
  phoneNumber: nullable(str(64)),
  phoneNumberVerified: bool,
  username: nullable(str()),
  displayName: nullable(str()),
  locale: nullable(str(35)),
  custom: nullable({
    type: 'object',
    maxProperties: 100,
    additionalProperties: { type: ['string', 'number', 'boolean'], maxLength: 1024 },
  }),
});

type UserParams = { userId: string };

export async function userRoutes(app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const users = deps.users;

  app.get<{ Params: UserParams }>('/users/:userId', { schema: { params: userIdParams } }, (req) =>
    users.get(req.tenantId, req.params.userId),
  );

  // node sends PATCH; Ruby sends POST. Both update the given fields and leave the others unchanged.
  for (const method of ['PATCH', 'POST'] as const) {
    app.route<{ Params: UserParams; Body: UserAttributes }>({
      method,
      url: '/users/:userId',
      schema: { params: userIdParams, body: attributesSchema },
      handler: (req) => users.update(req.tenantId, req.params.userId, req.body),
    });
  }

  app.delete<{ Params: UserParams }>('/users/:userId', { schema: { params: userIdParams } }, async (req) => {
    await users.delete(req.tenantId, req.params.userId);
    return { success: true };
  });

  app.get<{ Querystring: Record<string, string | undefined> }>(
    '/users',
    {
      schema: {
        querystring: object({
          username: str(),
          email: str(320),
          phoneNumber: str(64),
          token: str(4096),
          limit: { type: 'string', pattern: '^[0-9]{1,4}$' },
          lastEvaluatedUserId: str(),
        }),
      },
    },
    async (req) => {
      const q = req.query;
      const limit = q.limit ? Number(q.limit) : 100;
      if (limit < 1 || limit > 1000) throw invalidRequest('limit must be from 1 to 1000');
      let userId: string | undefined;
      let tokenPayload: Record<string, unknown> | undefined;
      if (q.token) {
        const claims = await deps.tokens.verify(q.token, req.tenantId).catch(() => {
          throw invalidRequest('token is invalid or expired');
        });
        userId = claims.userId;
        tokenPayload = { ...claims };
      }
      const result = await users.query(req.tenantId, {
        ...(q.username ? { username: q.username } : {}),
        ...(q.email ? { email: q.email } : {}),
        ...(q.phoneNumber ? { phoneNumber: q.phoneNumber } : {}),
        ...(userId ? { userId } : {}),
        ...(q.lastEvaluatedUserId ? { after: q.lastEvaluatedUserId } : {}),
        limit,
      });
      return tokenPayload ? { ...result, tokenPayload } : result;
    },
  );

  app.get<{ Params: UserParams }>('/users/:userId/authenticators', { schema: { params: userIdParams } }, (req) =>
    users.authenticators(req.tenantId, req.params.userId),
  );

  app.post<{ Params: UserParams; Body: { verificationMethod?: string; phoneNumber?: string } }>(
    '/users/:userId/authenticators',
    {
      schema: {
        params: userIdParams,
        body: object({ verificationMethod: nonEmpty(64), phoneNumber: str(64), isDefault: bool }, [
          'verificationMethod',
        ]),
      },
    },
    (req) => users.enrollVerified(req.tenantId, req.params.userId, req.body),
  );

  app.delete<{ Params: UserParams & { authenticatorId: string } }>(
    '/users/:userId/authenticators/:authenticatorId',
    { schema: { params: object({ userId: nonEmpty(), authenticatorId: nonEmpty() }, ['userId', 'authenticatorId']) } },
    async (req) => {
      await users.deleteAuthenticator(req.tenantId, req.params.userId, req.params.authenticatorId);
      return { success: true };
    },
  );
}

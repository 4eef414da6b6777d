import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Deps } from '../../deps.js';
import {
  Body,
  Clearable,
  CustomData,
  NonEmpty,
  Opt,
  Params,
  Query,
  Reply,
  responses,
  Str,
  Success,
} from '../../http/contract.js';
import { AttributesReply, Authenticator, UserReply, UsersPage } from './contracts.js';
import { queryUsers } from './query.js';

const tags = ['Server API'];
const UserParams = Params({ userId: NonEmpty() });

/** The attributes updateUser takes. `null` clears a value where the member is Clearable. */
const UserAttributes = Body({
  email: Clearable(Str(320)),
  emailVerified: Opt(Type.Boolean()),
  phoneNumber: Clearable(Str(64)),
  phoneNumberVerified: Opt(Type.Boolean()),
  username: Clearable(Str()),
  displayName: Clearable(Str()),
  locale: Clearable(Str(35)),
  custom: Clearable(CustomData()),
});

/** Server API: users and their authenticators. */
export const userRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  const users = deps.userService;

  app.get('/users/:userId', { schema: { tags, params: UserParams, response: responses(UserReply) } }, (req) =>
    users.get(req.tenantId, req.params.userId),
  );

  // node sends PATCH; Ruby and Java send POST. Both update the given fields and leave the others unchanged.
  for (const method of ['PATCH', 'POST'] as const) {
    app.route({
      method,
      url: '/users/:userId',
      schema: { tags, params: UserParams, body: UserAttributes, response: responses(AttributesReply) },
      handler: (req) => users.update(req.tenantId, req.params.userId, req.body),
    });
  }

  app.delete('/users/:userId', { schema: { tags, params: UserParams, response: responses(Success) } }, async (req) => {
    await users.delete(req.tenantId, req.params.userId);
    return { success: true };
  });

  app.get(
    '/users',
    {
      schema: {
        tags,
        querystring: Query({
          username: Opt(Str()),
          email: Opt(Str(320)),
          phoneNumber: Opt(Str(64)),
          token: Opt(Str(4096)),
          limit: Opt(Type.String({ pattern: '^[0-9]{1,4}$' })),
          lastEvaluatedUserId: Opt(Str()),
        }),
        response: responses(UsersPage),
      },
    },
    (req) => queryUsers(deps, req.tenantId, req.query),
  );

  app.get(
    '/users/:userId/authenticators',
    { schema: { tags, params: UserParams, response: responses(Type.Array(Authenticator)) } },
    (req) => users.authenticators(req.tenantId, req.params.userId),
  );

  app.post(
    '/users/:userId/authenticators',
    {
      schema: {
        tags,
        params: UserParams,
        body: Body({ verificationMethod: NonEmpty(64), phoneNumber: Opt(Str(64)), isDefault: Opt(Type.Boolean()) }),
        response: responses(Reply({ authenticator: Authenticator })),
      },
    },
    (req) => users.enrollVerified(req.tenantId, req.params.userId, req.body),
  );

  app.delete(
    '/users/:userId/authenticators/:authenticatorId',
    {
      schema: {
        tags,
        params: Params({ userId: NonEmpty(), authenticatorId: NonEmpty() }),
        response: responses(Success),
      },
    },
    async (req) => {
      await users.deleteAuthenticator(req.tenantId, req.params.userId, req.params.authenticatorId);
      return { success: true };
    },
  );
};

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Deps } from '../../deps.js';
import { Body, NonEmpty, Opt, Params, Reply, responses, Str, Success } from '../../http/contract.js';
import { attributeFields } from '../users/contracts.js';

const tags = ['Sessions'];
/** A compact ES256 JWT is about 500 characters; anything far longer is not one of ours. */
const Jwt = () => NonEmpty(4096);
const ClientId = () => NonEmpty(64);

const TokenPair = Reply({
  accessToken: Type.String({ description: 'ES256 JWT (typ at+jwt), aud = clientId' }),
  refreshToken: Type.String({ description: 'Opaque; works once, rotated on every refresh' }),
});

/** The user as getUser shows their attributes, with the userId. */
const SessionUser = Reply({ userId: Type.String(), ...attributeFields });

const ValidatedSession = Reply({
  user: SessionUser,
  expiresAt: Type.Integer({ description: "The access token's expiry, Unix seconds" }),
  verificationMethod: Type.Optional(Type.String()),
});

/** Server API: sessions made from a succeeded challenge, as `@authsignal/node` calls them. */
export const sessionRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  const sessions = deps.sessionService;

  app.post(
    '/sessions',
    {
      schema: {
        tags,
        body: Body({ clientId: ClientId(), token: Jwt(), action: Opt(Str(64)) }),
        response: responses(TokenPair),
      },
    },
    (req) => sessions.create(req.tenantId, req.body),
  );

  app.post(
    '/sessions/validate',
    {
      schema: {
        tags,
        body: Body({
          accessToken: Jwt(),
          // An empty list would admit no client at all: refused rather than read as "any client".
          clientIds: Opt(Type.Array(ClientId(), { minItems: 1, maxItems: 100 })),
        }),
        response: responses(ValidatedSession),
      },
    },
    (req) => sessions.validate(req.tenantId, req.body),
  );

  app.post(
    '/sessions/refresh',
    { schema: { tags, body: Body({ refreshToken: NonEmpty(256) }), response: responses(TokenPair) } },
    (req) => sessions.refresh(req.tenantId, req.body),
  );

  app.post(
    '/sessions/revoke',
    { schema: { tags, body: Body({ accessToken: Jwt() }), response: responses(Success) } },
    (req) => sessions.revoke(req.tenantId, req.body),
  );

  app.post(
    '/sessions/user/revoke',
    { schema: { tags, body: Body({ userId: NonEmpty() }), response: responses(Success) } },
    (req) => sessions.revokeUser(req.tenantId, req.body.userId),
  );

  // One version of authsignalgo's RevokeUserSessions posts here, with the userId in the path and no body.
  app.post(
    '/users/:userId/sessions/revoke',
    { schema: { tags, params: Params({ userId: NonEmpty() }), response: responses(Success) } },
    (req) => sessions.revokeUser(req.tenantId, req.params.userId),
  );
};

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Deps } from '../../deps.js';
import { Body, NonEmpty, Opt, Params, Reply, responses, Success } from '../../http/contract.js';
import { ACCESS_TTL, REFRESH_TTL } from './sessions.js';

const tags = ['Management API'];
const ClientParams = Params({ clientId: NonEmpty(64) });

const SessionClient = Reply({
  clientId: Type.String({ description: "The access token's aud" }),
  name: Type.String(),
  accessTokenTtlSeconds: Type.Integer(),
  refreshTokenTtlSeconds: Type.Integer(),
  createdAt: Type.String(),
});

const SessionClientRequest = Body({
  name: NonEmpty(200),
  accessTokenTtlSeconds: Opt(
    Type.Integer({
      minimum: ACCESS_TTL.min,
      maximum: ACCESS_TTL.max,
      description: `Default ${ACCESS_TTL.default} (15 minutes)`,
    }),
  ),
  refreshTokenTtlSeconds: Opt(
    Type.Integer({
      minimum: REFRESH_TTL.min,
      maximum: REFRESH_TTL.max,
      description: `Default ${REFRESH_TTL.default} (30 days)`,
    }),
  ),
});

/** Management API: session clients, the apps whose IDs become access tokens' `aud`. */
export const sessionClientRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  const clients = deps.sessionService.clients;

  app.post(
    '/session-clients',
    {
      config: { permission: 'config:write' },
      schema: { tags, body: SessionClientRequest, response: responses(SessionClient) },
    },
    (req) => clients.create(req.tenantId, req.body),
  );

  app.get(
    '/session-clients',
    { config: { permission: 'config:read' }, schema: { tags, response: responses(Type.Array(SessionClient)) } },
    (req) => clients.list(req.tenantId),
  );

  app.get(
    '/session-clients/:clientId',
    {
      config: { permission: 'config:read' },
      schema: { tags, params: ClientParams, response: responses(SessionClient) },
    },
    (req) => clients.get(req.tenantId, req.params.clientId),
  );

  app.delete(
    '/session-clients/:clientId',
    { config: { permission: 'config:write' }, schema: { tags, params: ClientParams, response: responses(Success) } },
    (req) => clients.delete(req.tenantId, req.params.clientId),
  );
};

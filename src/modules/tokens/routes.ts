import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Static, Type } from '@sinclair/typebox';
import type { Deps } from '../../deps.js';
import { Params, Reply, responses, Str } from '../../http/contract.js';

/** An ES256 public key as JWKS publishes it. */
const Jwk = Reply({
  kty: Type.String({ description: 'EC' }),
  crv: Type.String({ description: 'P-256' }),
  x: Type.String(),
  y: Type.String(),
  kid: Type.String(),
  alg: Type.String({ description: 'ES256' }),
  use: Type.String({ description: 'sig' }),
});

const JwksReply = Reply({ keys: Type.Array(Jwk) });

const tags = ['Client API'];

/**
 * Public: the tenant's token-signing keys as JWKS, so that anyone can verify a Sigil token offline. A
 * tenant ID that names no tenant has no keys: its key set is empty, never a 404, so that the answer
 * does not tell which tenants exist.
 */
export const jwksRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  const keySet = async (tenantId: string) =>
    // Every stored key has all of Jwk's members: createSigningKey writes them.
    (await deps.tokenService.jwks(tenantId)) as Static<typeof JwksReply>;

  app.get(
    '/public/:tenantId/.well-known/jwks',
    { schema: { tags, params: Params({ tenantId: Str(512) }), response: responses(JwksReply) } },
    async (req, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return keySet(req.params.tenantId);
    },
  );

  // An empty tenant ID: the router collapses `public//.well-known` (ignoreDuplicateSlashes), so the
  // route above never sees it, and without this the empty tenant would be a 404.
  app.get(
    '/public/.well-known/jwks',
    {
      schema: {
        tags,
        description: 'The key set of the empty tenant ID: always empty.',
        response: responses(JwksReply),
      },
    },
    async (_req, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return { keys: [] };
    },
  );
};

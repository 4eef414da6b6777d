import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { nonEmpty, object } from '../../http/schemas.js';

/** Public: the tenant's token-signing keys as JWKS, so that anyone can verify a Sigil token offline. */
export async function jwksRoutes(app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  app.get<{ Params: { tenantId: string } }>(
    '/public/:tenantId/.well-known/jwks',
    { schema: { params: object({ tenantId: nonEmpty(64) }, ['tenantId']) } },
    async (req, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return deps.tokens.jwks(req.params.tenantId);
    },
  );
}

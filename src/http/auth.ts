import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, UNAUTHORIZED_DESCRIPTION } from '../errors.js';
import { basicUsername } from '../lib/basic-auth.js';
import type { TenantService } from '../modules/tenants/service.js';
import type { ApiKeyKind } from '../storage/schema.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook of the surface that serves the request. */
    tenantId: string;
  }
}

/** An onRequest hook that admits requests carrying a valid key of `kind` as the Basic username. */
export function requireApiKey(tenants: TenantService, kind: ApiKeyKind) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const secret = basicUsername(request.headers.authorization);
    const tenantId = secret ? await tenants.authenticate(kind, secret) : undefined;
    if (!tenantId) throw new ApiError('unauthorized', UNAUTHORIZED_DESCRIPTION);
    request.tenantId = tenantId;
  };
}

import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../errors.js';
import { basicUsername } from '../../lib/basic-auth.js';
import type { TenantService } from '../tenants/service.js';
import { type ChallengeTokenClaims, TokenError, type TokenService } from '../tokens/service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on Client API requests: the tenant, and the token's claims when a Bearer token was sent. */
    client: { tenantId: string; token?: ChallengeTokenClaims };
  }
}

/**
 * Client API authentication. A `Bearer` token names its tenant through its signing key. Tenant Basic is
 * `base64(tenantId)` from the web SDK, or `base64url(tenantId + ":")` from iOS; both are accepted.
 * An expired token answers `expired_token` with the `error` key, which makes the browser SDK call
 * `onTokenExpired`.
 */
export function clientAuth(deps: {
  tokenService: Pick<TokenService, 'verifyAnyTenant'>;
  tenantService: Pick<TenantService, 'exists'>;
}) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization ?? '';
    const bearer = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    if (bearer) {
      try {
        const token = await deps.tokenService.verifyAnyTenant(bearer);
        request.client = { tenantId: token.tenantId, token };
        return;
      } catch (err) {
        if (err instanceof TokenError && err.reason === 'expired') {
          throw new ApiError('expired_token', 'The token has expired. Obtain a new one from your backend.', {
            cause: err,
          });
        }
        throw new ApiError('unauthorized', 'The token is invalid.', { cause: err });
      }
    }
    const tenantId = basicUsername(header);
    if (tenantId && tenantId.length <= 64 && (await deps.tenantService.exists(tenantId))) {
      request.client = { tenantId };
      return;
    }
    throw new ApiError('unauthorized', 'Send a Bearer token, or Basic auth with the tenant ID.');
  };
}

/** The token's claims, for routes that act on a tracked action. */
export function requireToken(request: FastifyRequest): ChallengeTokenClaims {
  const token = request.client.token;
  if (!token) throw new ApiError('unauthorized', 'This endpoint needs a Bearer token. Call setToken first.');
  return token;
}

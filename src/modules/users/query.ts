import { invalidRequest } from '../../errors.js';
import { TokenError, type TokenService } from '../tokens/service.js';
import type { UserService } from './service.js';

export interface QueryUsersRequest {
  username?: string;
  email?: string;
  phoneNumber?: string;
  token?: string;
  limit?: string;
  lastEvaluatedUserId?: string;
}

/**
 * queryUsers: users matching the given attributes, a page at a time. With `token` it finds the user a
 * client token was issued for and returns the token's claims as `tokenPayload`, as Authsignal does.
 */
export async function queryUsers(
  deps: { userService: Pick<UserService, 'query'>; tokenService: Pick<TokenService, 'verify'> },
  tenantId: string,
  q: QueryUsersRequest,
) {
  const limit = q.limit ? Number(q.limit) : 100;
  if (limit < 1 || limit > 1000) throw invalidRequest('limit must be from 1 to 1000');
  let userId: string | undefined;
  let tokenPayload: Record<string, unknown> | undefined;
  if (q.token) {
    const claims = await deps.tokenService.verify(q.token, tenantId).catch((err: unknown) => {
      // A refused token is the caller's mistake; anything else (the database) is not.
      throw err instanceof TokenError ? invalidRequest('token is invalid or expired', { cause: err }) : err;
    });
    userId = claims.userId;
    tokenPayload = { ...claims };
  }
  const result = await deps.userService.query(tenantId, {
    ...(q.username ? { username: q.username } : {}),
    ...(q.email ? { email: q.email } : {}),
    ...(q.phoneNumber ? { phoneNumber: q.phoneNumber } : {}),
    ...(userId ? { userId } : {}),
    ...(q.lastEvaluatedUserId ? { after: q.lastEvaluatedUserId } : {}),
    limit,
  });
  return tokenPayload ? { ...result, tokenPayload } : result;
}

import type { FastifyRequest } from 'fastify';
import { ApiError } from '../../errors.js';
import type { Actor } from '../../http/actor.js';
import type { OperatorAuthenticator } from '../../http/management-auth.js';
import type { OperatorContext } from './context.js';
import { changesState, csrfMatches, readSessionToken } from './cookies.js';
import { isRole } from './roles.js';
import type { SessionWithAccount } from './session-store.js';
import { findSession } from './sessions.js';

const TENANT_HEADER = 'x-sigil-tenant';

/**
 * The Management API's portal side: the signed-in session behind the cookie, its CSRF header on every
 * state-changing call, and the operator's role in the tenant that X-Sigil-Tenant names.
 */
export class PortalOperatorAuthenticator implements OperatorAuthenticator {
  constructor(private readonly ctx: OperatorContext) {}

  async authenticate(request: FastifyRequest): Promise<Actor | undefined> {
    const token = readSessionToken(request, this.ctx.publicUrls);
    if (!token) return undefined;
    const session = await this.signedInSession(token);
    if (!session) throw new ApiError('unauthorized', 'Sign in to the portal again: the session has ended.');
    if (changesState(request.method) && !csrfMatches(request, session.csrf_token)) {
      throw new ApiError('forbidden', 'The X-CSRF-Token header is missing or wrong (GET /v1/portal/me gives it).');
    }
    const tenantId = request.headers[TENANT_HEADER];
    if (typeof tenantId !== 'string' || tenantId === '') {
      throw new ApiError('invalid_request', 'Name the tenant in the X-Sigil-Tenant header.');
    }
    const membership =
      tenantId.length <= 128 ? await this.ctx.accounts.membership(tenantId, session.account_id) : undefined;
    if (!membership || !isRole(membership.role)) {
      throw new ApiError('forbidden', 'You are not a member of this tenant.');
    }
    return {
      kind: 'operator',
      tenantId,
      accountId: session.account_id,
      email: session.email,
      sessionId: session.id,
      role: membership.role,
      reauthenticatedAt: session.reauthenticated_at,
    };
  }

  async signedIn(request: FastifyRequest): Promise<boolean> {
    const token = readSessionToken(request, this.ctx.publicUrls);
    return token !== undefined && (await this.signedInSession(token)) !== undefined;
  }

  private async signedInSession(token: string): Promise<SessionWithAccount | undefined> {
    const session = await findSession(this.ctx, token);
    return session?.status === 'signed_in' ? session : undefined;
  }
}

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError, UNAUTHORIZED_DESCRIPTION } from '../errors.js';
import { basicUsername } from '../lib/basic-auth.js';
import { roleMay } from '../modules/operators/roles.js';
import type { TenantService } from '../modules/tenants/service.js';
import type { Actor } from './actor.js';

/** How long a password or TOTP counts as fresh for a destructive route (`config.fresh`). */
export const FRESH_AUTH_MS = 5 * 60_000;

/**
 * The portal's side of Management API authentication (src/modules/operators): the operator behind the
 * request's session cookie, in the tenant the request names, or undefined when the request carries no
 * session cookie. It throws an ApiError for a session that is expired or revoked, a state-changing
 * request without its CSRF header, or a tenant the operator is not a member of.
 */
export interface OperatorAuthenticator {
  authenticate(request: FastifyRequest): Promise<Actor | undefined>;
  /** Whether the request carries a live, fully signed-in session (the 401-before-404 rule of unknown paths). */
  signedIn(request: FastifyRequest): Promise<boolean>;
}

interface ManagementAccessDeps {
  tenantService: TenantService;
  operatorAuth?: OperatorAuthenticator | undefined;
  clock: { now(): number };
}

/**
 * Mounts Management API access on a scope: every route must name a permission (else the app does not
 * build), each request is authenticated by the management key (Basic) or a portal session, and the
 * caller's role must allow the route's permission. One implementation for the portal and automation.
 */
export function managementAccess(scope: FastifyInstance, deps: ManagementAccessDeps): void {
  scope.addHook('onRoute', (route) => {
    if (!route.config?.permission) {
      throw new Error(
        `${route.method} ${route.url} names no permission (config.permission, src/modules/operators/roles.ts)`,
      );
    }
  });
  // The role is checked as soon as the caller is known, before the body is parsed or validated: a role
  // that may not call a route gets its 403 whatever it sends, and learns nothing from a 400.
  scope.addHook('onRequest', async (request) => {
    request.actor = await authenticate(request, deps);
    request.tenantId = request.actor.tenantId;
    const { permission, fresh } = request.routeOptions.config;
    const actor = request.actor;
    if (actor.kind === 'key' || !permission) return;
    if (!roleMay(actor.role, permission)) {
      throw new ApiError('forbidden', `Your role (${actor.role}) does not allow this (${permission}).`);
    }
    if (fresh && deps.clock.now() - actor.reauthenticatedAt > FRESH_AUTH_MS) {
      throw new ApiError('reauthentication_required', 'Confirm your password or authenticator code first.');
    }
  });
}

async function authenticate(request: FastifyRequest, deps: ManagementAccessDeps): Promise<Actor> {
  const secret = basicUsername(request.headers.authorization);
  if (secret) {
    const key = await deps.tenantService.authenticateKey('management', secret);
    if (key) return { kind: 'key', tenantId: key.tenantId, keyId: key.keyId };
    throw new ApiError('unauthorized', UNAUTHORIZED_DESCRIPTION);
  }
  const operator = await deps.operatorAuth?.authenticate(request);
  if (operator) return operator;
  throw new ApiError('unauthorized', UNAUTHORIZED_DESCRIPTION);
}

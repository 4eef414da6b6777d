import type { Permission, Role } from '../modules/operators/roles.js';

/**
 * Who is calling the Management API: automation with the tenant's management key, or an operator signed
 * in to the portal. The audit log records it; permissions are checked against it.
 */
export type Actor =
  | { kind: 'key'; tenantId: string /** The key's ID, when the key store names one. */; keyId?: string }
  | {
      kind: 'operator';
      tenantId: string;
      accountId: string;
      email: string;
      sessionId: string;
      role: Role;
      /** When the operator last proved it was them (password or TOTP), in ms; sign-in counts. */
      reauthenticatedAt: number;
    };

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on Management API requests by managementAccess. */
    actor: Actor;
  }
  interface FastifyContextConfig {
    /** What a Management API route needs (src/modules/operators/roles.ts). Every such route names one. */
    permission?: Permission;
    /**
     * A destructive route: an operator must have given their password or TOTP within the last few
     * minutes (a management key is not asked).
     */
    fresh?: boolean;
  }
}

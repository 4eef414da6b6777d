/**
 * Who may do what through the Management API, whether the caller is a portal operator (by role) or
 * automation (a management key). Every management route names one permission (`config.permission`);
 * `managementAccess` refuses to mount a route that does not, so no route is left unguarded. The table
 * in docs/portal-access.md is this file in words, and test/portal-access/roles.test.ts checks every route
 * against it for every role (and the docs table against this file).
 */
export const ROLES = ['owner', 'admin', 'developer', 'support', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  /** Read configuration: SMS providers, templates, actions and rules, defences, authenticator configuration. */
  'config:read',
  /** Change configuration, and send a test SMS. */
  'config:write',
  /** See what happened: delivery timelines, decision records and reports, sessions, rule simulations. */
  'activity:read',
  /** Act on end users: revoke their sessions, delete their authenticators. */
  'users:write',
  /** Decide REVIEW_REQUIRED actions. */
  'reviews:decide',
  /** See the tenant's API keys (never their secrets) and signing keys. */
  'keys:read',
  /** Create, rotate and revoke API keys and signing keys. */
  'keys:write',
  /** See the tenant's members and open invitations. */
  'team:read',
  /** Invite, change the role of, and remove members. */
  'team:write',
  /** Read the audit log. */
  'audit:read',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const ALL: readonly Permission[] = PERMISSIONS;

/**
 * Stytch's dashboard roles are the model: an admin does everything but own the tenant, a developer
 * configures but holds no keys and manages no people, support acts on end users, a viewer reads.
 */
export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  owner: ALL,
  admin: ALL,
  developer: ['config:read', 'config:write', 'activity:read', 'keys:read'],
  support: ['config:read', 'activity:read', 'users:write', 'reviews:decide'],
  viewer: ['config:read', 'activity:read'],
};

export function roleMay(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}

export const isRole = (value: unknown): value is Role => ROLES.includes(value as Role);

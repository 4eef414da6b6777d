/**
 * The rows of the portal's tables: operators (src/modules/operators) and the audit log (src/modules/audit).
 * Apart from schema.ts only to keep each file short; the Database interface there lists them.
 */

/** One write through the Management API or the portal (src/modules/audit). JSON members are masked text. */
export interface AuditLogRow {
  id: string;
  tenant_id: string;
  at: number;
  actor_kind: 'key' | 'operator' | 'system';
  actor_id: string;
  actor_email: string | null;
  /** `sms-providers.update`: the route's resource and what was done to it. */
  action: string;
  method: string;
  /** The route pattern (`/v1/management/action-configurations/:actionCode`). */
  route: string;
  /** The concrete path, without its query string. */
  path: string;
  status: number;
  ip_address: string | null;
  before_json: string | null;
  after_json: string | null;
  request_json: string | null;
}

/** A portal operator. `email` is trimmed and lower-cased; the password is an argon2id PHC string. */
export interface OperatorAccountRow {
  id: string;
  email: string;
  password_hash: string | null;
  /** The active TOTP secret (base32), encrypted under the master key. */
  totp_secret_enc: string | null;
  /** A secret being enrolled, not yet confirmed by a code. */
  totp_pending_enc: string | null;
  /** The newest TOTP time step accepted: a code is accepted once. */
  totp_last_counter: number | null;
  totp_enabled_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface OperatorMembershipRow {
  tenant_id: string;
  account_id: string;
  role: string;
  created_at: number;
}

export type OperatorSessionStatus = 'signed_in' | 'mfa_required' | 'mfa_enrolment_required';

export interface OperatorSessionRow {
  id: string;
  /** SHA-256 of the cookie's token. */
  token_hash: string;
  account_id: string;
  status: OperatorSessionStatus;
  csrf_token: string;
  created_at: number;
  last_seen_at: number;
  /** The absolute end: created_at plus 12 hours. */
  expires_at: number;
  reauthenticated_at: number;
  revoked_at: number | null;
  ip_address: string | null;
  user_agent: string | null;
}

export type OperatorLinkKind = 'sign-in' | 'invite';

export interface OperatorLinkRow {
  id: string;
  token_hash: string;
  kind: OperatorLinkKind;
  email: string;
  /** Invitations: the tenant and the role they grant. */
  tenant_id: string | null;
  role: string | null;
  created_by: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  revoked_at: number | null;
}

export interface OperatorRecoveryCodeRow {
  account_id: string;
  code_hash: string;
  created_at: number;
  used_at: number | null;
}

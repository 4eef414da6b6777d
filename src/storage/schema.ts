/**
 * Table types for Kysely. Times are milliseconds since the epoch (bigint) and flags are 0/1 integers,
 * so that one schema means the same thing on SQLite and PostgreSQL. JSON is stored as text.
 */
import type {
  AuditLogRow,
  OperatorAccountRow,
  OperatorLinkRow,
  OperatorMembershipRow,
  OperatorRecoveryCodeRow,
  OperatorSessionRow,
} from './schema-portal.js';
import type { SmsHourlyDeltaRow, SmsHourlyRow, SmsPriceRow, SmsReceiptRow, SmsSendRow } from './schema-sms.js';

export type * from './schema-portal.js';
export type * from './schema-sms.js';

export interface Database {
  tenants: TenantRow;
  api_keys: ApiKeyRow;
  signing_keys: SigningKeyRow;
  users: UserRow;
  authenticators: AuthenticatorRow;
  actions: ActionRow;
  challenges: ChallengeRow;
  sms_provider_configs: SmsProviderConfigRow;
  sms_sends: SmsSendRow;
  sms_receipts: SmsReceiptRow;
  sms_prices: SmsPriceRow;
  sms_hourly: SmsHourlyRow;
  sms_hourly_deltas: SmsHourlyDeltaRow;
  sms_message_settings: SmsMessageSettingsRow;
  dev_inbox: DevInboxRow;
  action_configurations: ActionConfigurationRow;
  rules: RuleRow;
  devices: DeviceRow;
  action_state_changes: ActionStateChangeRow;
  session_clients: SessionClientRow;
  sessions: SessionRow;
  session_refresh_tokens: SessionRefreshTokenRow;
  sms_policies: SmsPolicyRow;
  limit_counters: LimitCounterRow;
  sms_decisions: SmsDecisionRow;
  sms_decision_triggers: SmsDecisionTriggerRow;
  challenge_wrong_codes: ChallengeWrongCodeRow;
  audit_log: AuditLogRow;
  operator_accounts: OperatorAccountRow;
  operator_memberships: OperatorMembershipRow;
  operator_sessions: OperatorSessionRow;
  operator_links: OperatorLinkRow;
  operator_recovery_codes: OperatorRecoveryCodeRow;
}

export interface TenantRow {
  id: string;
  name: string;
  created_at: number;
}

export type ApiKeyKind = 'server' | 'management';

export interface ApiKeyRow {
  id: string;
  tenant_id: string;
  kind: ApiKeyKind;
  /** SHA-256 of the secret, for lookup. */
  key_hash: string;
  /** The secret encrypted under the master key; only server keys keep it, to sign webhooks. */
  key_enc: string | null;
  created_at: number;
  revoked_at: number | null;
  /** Migration 009: the operator's label. */
  name: string | null;
  /** Migration 009: the secret's prefix and last 4 characters (`sk_…a1b2`); null for keys made before it. */
  hint: string | null;
  /** Migration 009: the end of a rotation's grace period; the key is refused from then on. */
  expires_at: number | null;
  /** Migration 009: when the key last authenticated a request, to the minute (written at most once a minute). */
  last_used_at: number | null;
}

export interface SigningKeyRow {
  kid: string;
  tenant_id: string;
  alg: string;
  private_key_enc: string;
  public_jwk: string;
  created_at: number;
  retired_at: number | null;
}

export interface UserRow {
  tenant_id: string;
  user_id: string;
  email: string | null;
  email_verified: number;
  phone_number: string | null;
  phone_number_verified: number;
  username: string | null;
  display_name: string | null;
  custom: string | null;
  locale: string | null;
  created_at: number;
  updated_at: number;
  /** Migration 012: the number's digits reversed, for "ends in 1234" searches on an index. */
  phone_reversed?: string | null;
}

export interface AuthenticatorRow {
  id: string;
  tenant_id: string;
  user_id: string;
  verification_method: string;
  phone_number: string | null;
  email: string | null;
  created_at: number;
  verified_at: number;
  last_verified_at: number;
  /** Migration 012: the number's digits reversed, for "ends in 1234" searches on an index. */
  phone_reversed?: string | null;
}

export interface ActionRow {
  tenant_id: string;
  idempotency_key: string;
  /** Null for a sign-in challenge that nobody has claimed yet. */
  user_id: string | null;
  action_code: string;
  state: string;
  state_updated_at: number;
  verification_method: string | null;
  created_at: number;
  updated_at: number;
  /** The track attributes (JSON), kept as the action's record. */
  attributes: string | null;
  /** IDs of every rule that matched (JSON array), highest priority first. */
  rule_ids: string | null;
  priority_rule_id: string | null;
  /** When a token for this action was accepted by validateChallenge; a success validates once. */
  validated_at: number | null;
  /** The state the rules gave it at track time (migration 011); null when track did not create it. */
  outcome: string | null;
}

export interface ChallengeRow {
  id: string;
  tenant_id: string;
  idempotency_key: string;
  user_id: string | null;
  action_code: string;
  verification_method: string;
  phone_number: string;
  scope: string | null;
  locale: string | null;
  /** HMAC-SHA256(otpKey, challengeId + ":" + code), hex. The code itself is never stored. */
  code_hash: string;
  attempts: number;
  max_attempts: number;
  send_count: number;
  last_sent_at: number;
  created_at: number;
  expires_at: number;
  verified_at: number | null;
  claimed_at: number | null;
  claimed_user_id: string | null;
  /** Set when the code could not be delivered; such a challenge can never be verified. */
  failed_reason: string | null;
  /** For a Client API enrollment: the ID the new authenticator gets when the code is verified. */
  authenticator_id: string | null;
}

export interface SmsProviderConfigRow {
  tenant_id: string;
  /** The ordered provider list as JSON, encrypted under the master key. */
  providers_enc: string;
  updated_at: number;
}

export interface SmsMessageSettingsRow {
  tenant_id: string;
  /** JSON: templates by locale, app name, WebOTP domain, Android app hash, segment limit. */
  settings: string;
  updated_at: number;
}

export interface DevInboxRow {
  id: string;
  tenant_id: string;
  challenge_id: string;
  to: string;
  body: string;
  created_at: number;
}

export interface ActionConfigurationRow {
  tenant_id: string;
  action_code: string;
  /** ALLOW | CHALLENGE | REVIEW | BLOCK */
  default_user_action_result: string;
  /** The rest of the configuration (verificationMethods, ...), as JSON. */
  settings: string;
  created_at: number;
  updated_at: number;
}

export interface RuleRow {
  id: string;
  tenant_id: string;
  action_code: string;
  name: string;
  description: string | null;
  is_active: number;
  /** 0 to 99; 0 is applied first. */
  priority: number;
  /** ALLOW | CHALLENGE | REVIEW | BLOCK */
  type: string;
  /** JsonLogic, as JSON. */
  conditions: string;
  settings: string;
  created_at: number;
  updated_at: number;
}

export interface DeviceRow {
  tenant_id: string;
  user_id: string;
  device_id: string;
  first_seen_at: number;
  last_seen_at: number;
}

export interface ActionStateChangeRow {
  tenant_id: string;
  idempotency_key: string;
  state: string;
  /** What moved it: rules, challenge, verification, api, ... */
  reason: string;
  at: number;
  /** Migration 012: who decided a change made by hand (`operator:<email>`, `key:<id>`); null otherwise. */
  actor?: string | null;
}

/** An app that holds sessions: its ID is the access token's `aud`, and it fixes the token lifetimes. */
export interface SessionClientRow {
  id: string;
  tenant_id: string;
  name: string;
  access_ttl_seconds: number;
  refresh_ttl_seconds: number;
  created_at: number;
}

/** A session made from one succeeded challenge (its action's idempotency key, unique per tenant). */
export interface SessionRow {
  id: string;
  tenant_id: string;
  client_id: string;
  user_id: string;
  idempotency_key: string;
  verification_method: string | null;
  /** The `jti` of the newest access token; a refresh replaces it, so earlier access tokens stop validating. */
  access_jti: string;
  created_at: number;
  refreshed_at: number | null;
  revoked_at: number | null;
  revoked_reason: string | null;
}

export interface SessionRefreshTokenRow {
  /** SHA-256 of the token, hex. The token itself is never stored. */
  token_hash: string;
  tenant_id: string;
  session_id: string;
  created_at: number;
  expires_at: number;
  /** Set when the token was rotated; presenting it again revokes the session. */
  used_at: number | null;
}

export interface SmsPolicyRow {
  tenant_id: string;
  /** JSON: the SmsPolicy document (src/modules/limits/policy.ts). */
  policy: string;
  updated_at: number;
}

/** A limit's counter when Redis is not configured: `points` counted until `expires_at`, then reset. */
export interface LimitCounterRow {
  key: string;
  points: number;
  expires_at: number;
}

export interface SmsDecisionRow {
  id: string;
  tenant_id: string;
  at: number;
  /** `send` (a code about to be sent) or `submission` (a code about to be checked). */
  kind: string;
  /** `allowed`, `refused`, or `test` (a test number: no SMS, no limit). */
  outcome: string;
  /** The defence that refused, or the first that would have in record_only. */
  defence: string | null;
  challenge_id: string | null;
  phone_number: string;
  country: string | null;
  prefix: string;
  ip_address: string | null;
  user_id: string | null;
  provider: string | null;
}

export interface SmsDecisionTriggerRow {
  decision_id: string;
  tenant_id: string;
  at: number;
  defence: string;
  mode: string;
  retry_after_ms: number;
}

/** Migration 012: one wrong code submitted to a challenge (the challenge row keeps only the count). */
export interface ChallengeWrongCodeRow {
  tenant_id: string;
  challenge_id: string;
  /** The challenge's attempt count after this submission. */
  attempt: number;
  at: number;
}

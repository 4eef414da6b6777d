/** The shapes of the API answers the portal reads (docs: /work/briefs contracts, src/modules/*). */
import type { Role } from '../../../src/modules/operators/roles.js';

export type { Permission, Role } from '../../../src/modules/operators/roles.js';

export type SessionStatus = 'signed_in' | 'mfa_required' | 'mfa_enrolment_required';

export interface Membership {
  tenantId: string;
  tenantName: string;
  role: Role;
}

export interface Me {
  account: { accountId: string; email: string; mfaEnabled: boolean };
  memberships: Membership[];
  csrfToken: string;
  session: { status: SessionStatus; expiresAt: string; idleExpiresAt: string };
  mfaMandatory: boolean;
}

export interface LinkInfo {
  kind: 'sign-in' | 'invite';
  email: string;
  tenantName?: string;
  role?: Role;
  needsPassword: boolean;
}

export interface OwnSession {
  sessionId: string;
  current?: boolean;
  createdAt?: string;
  lastSeenAt?: string;
  expiresAt?: string;
  ipAddress?: string | null;
  userAgent?: string | null;
}

export interface Member {
  accountId: string;
  email: string;
  role: Role;
  mfaEnabled: boolean;
  joinedAt: string;
}

export interface Invite {
  inviteId: string;
  email: string;
  role: Role;
  createdAt: string;
  expiresAt: string;
  link?: string;
}

export interface TenantInfo {
  tenantId: string;
  name: string;
  urls: { serverApi: string; clientApi: string; managementApi: string; jwks: string };
}

export interface ApiKey {
  keyId: string;
  kind: 'server' | 'management';
  name: string;
  hint: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  status: 'active' | 'expiring' | 'revoked' | 'expired';
  secret?: string;
}

export interface SigningKey {
  keyId: string;
  algorithm: string;
  status: 'active' | 'retired';
  createdAt: string;
  retiredAt: string | null;
  current: boolean;
}

export interface AuditEntry {
  entryId: string;
  at: string;
  actor: { kind: 'key' | 'operator' | 'system'; id: string; email?: string };
  tenantId: string;
  action: string;
  method: string;
  path: string;
  status: number;
  ipAddress: string | null;
  before: unknown;
  after: unknown;
}

export type ProviderConfig = { type: string; receiptUrl?: string } & Record<string, unknown>;

export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}

export interface ProviderSchema {
  type: string;
  title: string;
  schema: JsonSchema;
  secretFields: string[];
  receiptUrl: string | null;
}

export interface ProviderHealth {
  index: number;
  type: string;
  name: string;
  breaker: 'closed' | 'open' | 'half_open';
  lastFailureAt: string | null;
  lastError: string | null;
}

export interface ProviderTestResult {
  provider: string;
  outcome: string;
  providerMessageId?: string;
  error?: { kind: string; reason: string; message: string };
  attempts: { attempt: number; outcome: string; error: string | null; latencyMs: number }[];
  /** The result in a sentence, worded by the server (src/modules/sms/plain-words.ts). */
  message?: string;
}

interface TemplateView {
  locale: string;
  text: string;
  builtIn: boolean;
  preview: string;
  encoding: string;
  segments: number;
  characters: number;
}

export interface TemplateSettings {
  appName: string;
  webOtpDomain: string | null;
  androidAppHash: string | null;
  maxSegments: number;
  templates: TemplateView[];
}

export interface TemplatePreview {
  text: string;
  encoding: 'GSM-7' | 'UCS-2';
  segments: number;
  characters: number;
  charactersPerSegment: number;
  lines: { webOtp: string | null; appHash: string | null };
  errors: { message: string }[];
}

export type Outcome = 'ALLOW' | 'CHALLENGE' | 'REVIEW' | 'BLOCK';
export const OUTCOMES: Outcome[] = ['ALLOW', 'CHALLENGE', 'REVIEW', 'BLOCK'];

export interface ActionSummary {
  actionCode: string;
  configured: boolean;
  lastSeenAt: string | null;
  last24h: { ALLOW: number; CHALLENGE_REQUIRED: number; REVIEW_REQUIRED: number; BLOCK: number };
}

export interface ActionConfig {
  actionCode: string;
  defaultUserActionResult: Outcome;
  createdAt: string;
  updatedAt: string;
}

export interface Rule {
  ruleId: string;
  name: string;
  description?: string;
  isActive: boolean;
  priority: number;
  type: Outcome;
  conditions: unknown;
}

export interface RuleVariable {
  name: string;
  type: 'string' | 'number' | 'boolean' | 'string[]';
  description: string;
  example?: unknown;
}

export interface ValidationResult {
  valid: boolean;
  errors: { path: string; message: string }[];
}

export interface SimulationResult {
  evaluated: number;
  changed: number;
  unchanged: number;
  transitions: { from: string; to: string; count: number }[];
  sample: { actionId: string; userId: string; createdAt: string; from: string; to: string; ruleName: string | null }[];
  notReconstructed: string[];
  tookMs: number;
}

// ---- Issue 11: users, activity, reviews, the development inbox (contracts: /v1/management) ----
// The message log's and dashboard's types are in reporting-types.ts.

export interface UserSummary {
  userId: string;
  email: string | null;
  phoneNumber: string | null;
  displayName: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface UserDetail {
  user: UserSummary & {
    emailVerified: boolean;
    phoneNumberVerified: boolean;
    username: string | null;
    custom: Record<string, unknown> | null;
  };
  authenticators: {
    authenticatorId: string;
    verificationMethod: string;
    phoneNumber: string | null;
    email: string | null;
    createdAt: string;
    verifiedAt: string | null;
    lastVerifiedAt: string | null;
  }[];
}

export interface ActivityItem {
  kind: 'action' | 'challenge';
  at: string;
  actionCode: string;
  idempotencyKey: string | null;
  challengeId: string | null;
  state: string;
  ipAddress: string | null;
  country: string | null;
  deviceId: string | null;
  userAgent: string | null;
  ruleIds: string[];
  phoneNumber: string | null;
}

export type WhyCode =
  | 'refused_by_sigil'
  | 'refused_by_vendor'
  | 'failed_by_carrier'
  | 'delivered_not_entered'
  | 'sent_not_entered'
  | 'entered_wrongly'
  | 'expired'
  | 'verified'
  | 'pending';

export interface Why {
  code: WhyCode;
  sentence: string;
}

export interface Receipt {
  status: string;
  vendorStatus: string;
  errorCode: string | null;
  at: string;
}

/** One event of an action's or challenge's timeline; the fields beyond `summary` depend on `kind`. */
export interface TimelineEvent {
  at: string;
  kind:
    | 'state_change'
    | 'code_sent'
    | 'send_refused'
    | 'wrong_code'
    | 'verified'
    | 'validated'
    | 'review_decision'
    | 'expired';
  challengeId: string | null;
  summary: string;
  state?: string;
  reason?: string;
  decidedBy?: string | null;
  attempt?: number;
  provider?: string;
  outcome?: string;
  vendorError?: string | null;
  latencyMs?: number;
  receipts?: Receipt[];
  defence?: string;
  mode?: string;
  attemptNumber?: number;
  decision?: 'approved' | 'rejected';
}

export interface ActionDetail {
  action: {
    idempotencyKey: string;
    userId: string | null;
    actionCode: string;
    state: string;
    outcome: string | null;
    createdAt: string;
    updatedAt: string;
    validatedAt: string | null;
    ipAddress: string | null;
    country: string | null;
    deviceId: string | null;
    userAgent: string | null;
    attributes: Record<string, unknown>;
  };
  rules: { ruleId: string; name: string; type: string; matched: boolean; deciding: boolean }[];
  challenges: {
    challengeId: string;
    phoneNumber: string;
    createdAt: string;
    expiresAt: string;
    attempts: number;
    maxAttempts: number;
    verifiedAt: string | null;
    why: Why;
  }[];
  timeline: TimelineEvent[];
}

export interface ChallengeDetail {
  challenge: {
    challengeId: string;
    idempotencyKey: string;
    userId: string | null;
    actionCode: string;
    phoneNumber: string;
    createdAt: string;
    expiresAt: string;
    attempts: number;
    maxAttempts: number;
    verifiedAt: string | null;
    failedReason: string | null;
  };
  why: Why;
  timeline: TimelineEvent[];
}

export interface ReviewItem {
  idempotencyKey: string;
  userId: string | null;
  actionCode: string;
  createdAt: string;
  ipAddress: string | null;
  country: string | null;
  deviceId: string | null;
  userAgent: string | null;
  ruleIds: string[];
}

export interface InboxMessage {
  tenantId: string;
  challengeId: string;
  to: string;
  body: string;
  createdAt: string;
}

/**
 * A tenant's SMS abuse-defence policy: Authsignal's fields (as its Management API and Terraform provider
 * use them, docs/abuse-defence.md) and Sigil's own. Stored as one JSON document per tenant; every field
 * has a default, so a tenant that stored nothing is defended by the defaults below.
 */

/** How a defence acts: refuse (`enforce`), decide and record but let the send through, or not at all. */
export type Mode = 'enforce' | 'record_only' | 'off';
export const MODES: readonly Mode[] = ['enforce', 'record_only', 'off'];

/** Authsignal's rate shape: at most `rateLimit` in `windowInMinutes` (fractions allowed). */
export interface RateWindow {
  rateLimit: number;
  windowInMinutes: number;
}

/** Authsignal's prefix limit: numbers grouped by country, or by their first `blockSize` digits. */
export interface PrefixLimit {
  enabled: boolean;
  blockSize: 'country' | number;
  rateLimit: number;
  windowInMinutes: number;
  /** Applies to numbers of these countries only; empty: every country. */
  countryCodes: string[];
}

export interface TestNumber {
  phoneNumber: string;
  /** The code this number always receives, without an SMS. */
  code: string;
  /** ISO 8601; after it the number is an ordinary number again. */
  expiresAt: string;
}

/** Every defence, by the name used in decision records, modes and refusals. */
export const DEFENCES = [
  'failure_budget',
  'submission_limit',
  'sending_limit',
  'ip_limit',
  'user_limit',
  'tenant_limit',
  'country',
  'line_type',
  'prefix_limit',
  'adaptive_prefix',
] as const;
export type Defence = (typeof DEFENCES)[number];

export interface SmsPolicy {
  // Authsignal's fields.
  isActive: boolean;
  /** ISO alpha-2 codes of the allowed destinations; empty: every country. */
  smsCountryCodes: string[];
  /** For numbers written without a country code. */
  defaultCountryCode: string | null;
  /** Code submissions per number (right or wrong), across its challenges. */
  submissionRateLimitConfiguration: RateWindow;
  /** Codes sent per number; every window applies. */
  sendingRateLimitConfigurations: RateWindow[];
  prefixRateLimitConfigurations: PrefixLimit[];
  allowedCustomSmsVariables: string[];
  // Sigil's own.
  /** Consecutive wrong codes per number (a right one resets it); past it the number is locked for the window. */
  failureBudget: { maxConsecutiveFailures: number; lockoutMinutes: number };
  /** Codes sent per caller IP (the backend's `ipAddress`, or the Client API caller's). */
  ipRateLimitConfigurations: RateWindow[];
  /** Codes sent per user ID. */
  userRateLimitConfigurations: RateWindow[];
  /** Codes sent by the whole tenant per day: a ceiling on what an attack can cost. */
  tenantDailyLimit: number;
  /** libphonenumber line types besides the always-refused ones (premium rate, shared cost, toll free, UAN, voicemail). */
  lineTypes: { allowFixedLine: boolean; allowVoip: boolean };
  /** Conversion-based prefix blocking (see adaptive.ts). */
  adaptivePrefixBlocking: { minSends: number; conversionRatio: number; judgeAfterMinutes: number };
  /** Numbers (E.164) and prefixes (`+6421`) that the adaptive defences never refuse. */
  safeList: string[];
  modes: Record<Defence, Mode>;
  testNumbers: TestNumber[];
}

export const MAX_TEST_NUMBERS = 5;

/**
 * Defaults. The per-number budgets enforce from the start: they are what stop guessing (NIST SP 800-63B
 * allows at most 100 consecutive failures) and one number being flooded. Destination rules enforce too:
 * premium-rate and similar numbers are where pumped texts earn money. Adaptive blocking starts in
 * `record_only`, so that an operator sees what it would refuse before letting it refuse.
 */
export function defaultPolicy(maxSendsPerNumberPerHour = 10): SmsPolicy {
  return {
    isActive: true,
    smsCountryCodes: [],
    defaultCountryCode: null,
    submissionRateLimitConfiguration: { rateLimit: 10, windowInMinutes: 10 },
    // The hourly window's default is SIGIL_SMS_MAX_PER_NUMBER_PER_HOUR (0: no hourly window).
    sendingRateLimitConfigurations: [
      { rateLimit: 5, windowInMinutes: 10 },
      ...(maxSendsPerNumberPerHour > 0 ? [{ rateLimit: maxSendsPerNumberPerHour, windowInMinutes: 60 }] : []),
    ],
    prefixRateLimitConfigurations: [],
    allowedCustomSmsVariables: [],
    failureBudget: { maxConsecutiveFailures: 100, lockoutMinutes: 1440 },
    ipRateLimitConfigurations: [{ rateLimit: 30, windowInMinutes: 60 }],
    userRateLimitConfigurations: [{ rateLimit: 10, windowInMinutes: 60 }],
    tenantDailyLimit: 100_000,
    lineTypes: { allowFixedLine: false, allowVoip: true },
    adaptivePrefixBlocking: { minSends: 20, conversionRatio: 0.25, judgeAfterMinutes: 2 },
    safeList: [],
    modes: {
      failure_budget: 'enforce',
      submission_limit: 'enforce',
      sending_limit: 'enforce',
      ip_limit: 'enforce',
      user_limit: 'enforce',
      tenant_limit: 'enforce',
      country: 'enforce',
      line_type: 'enforce',
      prefix_limit: 'enforce',
      adaptive_prefix: 'record_only',
    },
    testNumbers: [],
  };
}

/** A stored document over the defaults: members it lacks (older documents) take their default. */
export function withDefaults(stored: Partial<SmsPolicy> | undefined, base = defaultPolicy()): SmsPolicy {
  if (!stored) return base;
  return {
    ...base,
    ...stored,
    failureBudget: { ...base.failureBudget, ...stored.failureBudget },
    lineTypes: { ...base.lineTypes, ...stored.lineTypes },
    adaptivePrefixBlocking: { ...base.adaptivePrefixBlocking, ...stored.adaptivePrefixBlocking },
    modes: { ...base.modes, ...stored.modes },
  };
}

export const windowMs = (w: RateWindow): number => Math.round(w.windowInMinutes * 60_000);

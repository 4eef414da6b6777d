import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { getCountries } from 'libphonenumber-js/max';
import { Body, Clearable, IsoDate, Opt, Reply, Str } from '../../http/contract.js';
import { DEFENCES, type Defence, MAX_TEST_NUMBERS, MODES, type Mode } from './policy.js';

/**
 * The Management API's contracts for a tenant's SMS policy: Authsignal's SMS authenticator configuration
 * (its ranges, as its Terraform provider documents them) and Sigil's own defences. The schemas are the
 * validation: what they refuse never reaches the use cases, and /openapi.json shows the same bounds.
 */

/** The six provider names of Authsignal's resource; Sigil's `dev` provider has none. */
const SMS_PROVIDERS = ['TWILIO', 'BIRD', 'MESSAGE_MEDIA', 'MODICA_GROUP', 'TNZ', 'WEBHOOK'] as const;
export type SmsProviderName = (typeof SMS_PROVIDERS)[number];

const oneOf = <T extends string>(values: readonly T[], description?: string) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...(description ? { description } : {}) });

/** The countries libphonenumber knows, which is what a number's country is read with. */
const CountryCode = () => oneOf(getCountries(), 'An ISO 3166-1 alpha-2 code, upper case.');
const CountryCodes = (description: string) => Type.Array(CountryCode(), { maxItems: 300, description });

const windowFields = (maxRate: number) => ({
  rateLimit: Type.Integer({ minimum: 1, maximum: maxRate }),
  windowInMinutes: Type.Number({ minimum: 1, maximum: 1440, description: 'From 1 to 1440; fractions allowed.' }),
});
/** Authsignal's rate shape: at most `rateLimit` (1 to 100) in `windowInMinutes`. */
const RateWindow = () => Body(windowFields(100));
const RateWindows = (description: string) =>
  Type.Array(RateWindow(), { minItems: 1, maxItems: 6, description: `${description} 1 to 6 windows; all apply.` });

const BlockSize = () =>
  Type.Union([Type.Literal('country'), Type.Integer({ minimum: 1, maximum: 15 })], {
    description: 'Numbers are grouped by `country`, or by this many leading digits of the E.164 number.',
  });

const PrefixLimit = () =>
  Body({
    enabled: Opt(Type.Boolean({ description: 'Default true.' })),
    blockSize: BlockSize(),
    rateLimit: Type.Integer({ minimum: 1, maximum: 1000 }),
    windowInMinutes: Type.Number({ exclusiveMinimum: 0, maximum: 1440, description: 'Over 0, at most 1440.' }),
    countryCodes: Opt(CountryCodes('Applies to numbers of these countries only; empty or absent: every country.')),
  });

const CustomVariables = () =>
  Type.Array(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }), { maxItems: 100, description: 'A set of names.' });

const HttpsUrl = () =>
  Type.String({ maxLength: 2048, pattern: '^https://[^\\u0000\\s]+$', description: 'An https URL.' });

/**
 * Credentials as Authsignal names them. Every member is optional in the schema because an update sends
 * only what changes (Terraform sends secrets only when rotating them); on create, and when switching
 * provider, Sigil's provider check requires the vendor's fields and names the missing one.
 */
const described = <T extends TSchema>(schema: T, description: string): T => ({ ...schema, description });
const secret = () => Opt(described(Str(4096), 'Secret: never returned.'));
const unsupported = () => Opt(described(Str(64), 'Not supported by Sigil: refused when set.'));
const credentialFields = {
  twilioCredentials: Body({
    accountSid: Opt(Str(64)),
    authToken: secret(),
    messagingServiceSid: Opt(Str(64)),
  }),
  birdSmsCredentials: Body({
    accessKey: secret(),
    workspaceId: Opt(Str(64)),
    channelId: Opt(described(Str(64), 'Required by Sigil, which sends through a Bird channel.')),
    navigatorId: unsupported(),
    projectId: unsupported(),
    locale: unsupported(),
    enableMessageTemplates: Opt(Type.Boolean({ description: 'Not supported by Sigil: refused when true.' })),
  }),
  messageMediaCredentials: Body({
    apiKey: secret(),
    apiSecret: secret(),
    sourceNumber: Opt(Str(32)),
  }),
  modicaGroupCredentials: Body({ username: Opt(Str(255)), password: secret() }),
  tnzCredentials: Body({ apiKey: secret() }),
};
const credentialMembers = {
  twilioCredentials: Opt(credentialFields.twilioCredentials),
  birdSmsCredentials: Opt(credentialFields.birdSmsCredentials),
  messageMediaCredentials: Opt(credentialFields.messageMediaCredentials),
  modicaGroupCredentials: Opt(credentialFields.modicaGroupCredentials),
  tnzCredentials: Opt(credentialFields.tnzCredentials),
};
export type CredentialBlock = keyof typeof credentialFields;

const policyDescriptions = {
  smsCountryCodes: 'Allowed destination countries; empty: every country. [] also clears defaultCountryCode.',
  defaultCountryCode: 'For numbers written without a country code; one of smsCountryCodes.',
  sending: 'Codes sent per number.',
};

export const SmsAuthenticatorCreate = Body({
  smsProvider: oneOf(SMS_PROVIDERS),
  isActive: Opt(Type.Boolean()),
  webhookUrl: Opt(HttpsUrl()),
  smsCountryCodes: Opt(CountryCodes(policyDescriptions.smsCountryCodes)),
  defaultCountryCode: Opt(CountryCode()),
  submissionRateLimitConfiguration: Opt(RateWindow()),
  sendingRateLimitConfigurations: Opt(RateWindows(policyDescriptions.sending)),
  prefixRateLimitConfigurations: Opt(Type.Array(PrefixLimit(), { maxItems: 5 })),
  allowedCustomSmsVariables: Opt(CustomVariables()),
  ...credentialMembers,
});

/** A member left out is unchanged; `null` resets it to its default; `[]` empties a list. */
export const SmsAuthenticatorPatch = Body({
  smsProvider: Opt(oneOf(SMS_PROVIDERS, 'Changing it starts the new provider from its own credentials.')),
  isActive: Clearable(Type.Boolean()),
  webhookUrl: Clearable(HttpsUrl()),
  smsCountryCodes: Clearable(CountryCodes(policyDescriptions.smsCountryCodes)),
  // Clearable adds null to a schema's `type`, which its enum would still refuse: wrapped, null is its own branch.
  defaultCountryCode: Clearable(Type.Unsafe<string>({ anyOf: [CountryCode()] })),
  submissionRateLimitConfiguration: Clearable(RateWindow()),
  sendingRateLimitConfigurations: Clearable(RateWindows(policyDescriptions.sending)),
  prefixRateLimitConfigurations: Clearable(Type.Array(PrefixLimit(), { maxItems: 5 })),
  allowedCustomSmsVariables: Clearable(CustomVariables()),
  ...credentialMembers,
});
export type SmsAuthenticatorInput = Static<typeof SmsAuthenticatorPatch>;

const WindowOut = Reply({ rateLimit: Type.Integer(), windowInMinutes: Type.Number() });
const PrefixOut = Reply({
  enabled: Type.Boolean(),
  blockSize: Type.Union([Type.Literal('country'), Type.Integer()]),
  rateLimit: Type.Integer(),
  windowInMinutes: Type.Number(),
  countryCodes: Type.Array(Type.String()),
});

/** Authsignal's fields of the policy, as both resources show them. */
const authsignalPolicyOut = {
  isActive: Type.Boolean(),
  smsCountryCodes: Type.Array(Type.String()),
  submissionRateLimitConfiguration: WindowOut,
  sendingRateLimitConfigurations: Type.Array(WindowOut),
  prefixRateLimitConfigurations: Type.Array(PrefixOut),
  allowedCustomSmsVariables: Type.Array(Type.String()),
};

/** Only the non-secret credential fields are declared, so the serialiser drops any secret handed to it. */
export const SmsAuthenticatorReply = Reply({
  authenticatorId: Type.String(),
  verificationMethod: Type.Literal('SMS'),
  smsProvider: Type.String(),
  webhookUrl: Type.Optional(Type.String({ description: 'WEBHOOK only; a user name or query values show masked.' })),
  defaultCountryCode: Type.Optional(Type.String()),
  ...authsignalPolicyOut,
  twilioCredentials: Type.Optional(
    Reply({ accountSid: Type.String(), messagingServiceSid: Type.Optional(Type.String()) }),
  ),
  birdSmsCredentials: Type.Optional(Reply({ workspaceId: Type.String(), channelId: Type.String() })),
  messageMediaCredentials: Type.Optional(Reply({ sourceNumber: Type.Optional(Type.String()) })),
  modicaGroupCredentials: Type.Optional(Reply({ username: Type.String() })),
  tnzCredentials: Type.Optional(Reply({})),
});

// Sigil's own defences.

const ModeSchema = () => oneOf<Mode>(MODES);
const byDefence = <T extends TSchema>(schema: () => T) =>
  Object.fromEntries(DEFENCES.map((d) => [d, schema()])) as Record<Defence, T>;

const sigilWindows = (maxRate: number, description: string) =>
  Type.Array(Body(windowFields(maxRate)), {
    maxItems: 6,
    description: `${description} 0 to 6 windows of at most ${maxRate} in 1 to 1440 minutes; all apply.`,
  });

const TestNumber = () =>
  Body({
    phoneNumber: Type.String({ pattern: '^\\+[1-9][0-9]{6,14}$', description: 'E.164.' }),
    code: Type.String({
      pattern: '^[0-9]{4,10}$',
      description: 'The code this number always receives: 4 to 10 digits.',
    }),
    expiresAt: IsoDate(),
  });

/** Sigil's fields, three-state like Authsignal's: left out is unchanged, `null` is the default. */
export const SmsDefencesPatch = Body({
  failureBudget: Clearable(
    Body(
      {
        maxConsecutiveFailures: Type.Integer({ minimum: 1, maximum: 100 }),
        lockoutMinutes: Type.Number({ minimum: 1, maximum: 10_080 }),
      },
      'Consecutive wrong codes per number (at most 100, NIST SP 800-63B), then a lockout of up to a week.',
    ),
  ),
  ipRateLimitConfigurations: Clearable(sigilWindows(10_000, 'Codes sent per caller IP.')),
  userRateLimitConfigurations: Clearable(sigilWindows(1000, 'Codes sent per user ID.')),
  tenantDailyLimit: Clearable(
    Type.Integer({ minimum: 1, maximum: 100_000_000, description: 'Codes the tenant sends per day, 1 to 10^8.' }),
  ),
  lineTypes: Clearable(Body({ allowFixedLine: Type.Boolean(), allowVoip: Type.Boolean() })),
  adaptivePrefixBlocking: Clearable(
    Body(
      {
        minSends: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
        conversionRatio: Type.Number({ minimum: 0, maximum: 1 }),
        judgeAfterMinutes: Opt(
          Type.Number({
            minimum: 0,
            maximum: 60,
            description:
              'A prefix is judged once its hourly window is this old (default 2): codes need time to be entered.',
          }),
        ),
      },
      'A prefix with at least minSends codes sent and fewer verified than conversionRatio of them is blocked.',
    ),
  ),
  safeList: Clearable(
    Type.Array(Type.String({ pattern: '^\\+[1-9][0-9]{0,14}$' }), {
      maxItems: 1000,
      description: 'E.164 numbers and `+digits` prefixes that the adaptive defences never refuse; at most 1000.',
    }),
  ),
  modes: Clearable(
    Body(
      Object.fromEntries(DEFENCES.map((d) => [d, Opt(ModeSchema())])) as Record<
        Defence,
        ReturnType<typeof Opt<ReturnType<typeof ModeSchema>>>
      >,
      'The defences named change; the others keep their mode. null resets every mode.',
    ),
  ),
  testNumbers: Clearable(
    Type.Array(TestNumber(), {
      maxItems: MAX_TEST_NUMBERS,
      description: `At most ${MAX_TEST_NUMBERS}; each expires in the future, at most a year ahead.`,
    }),
  ),
});
export type SmsDefencesInput = Static<typeof SmsDefencesPatch>;

/** The whole policy, defaults filled in. */
export const SmsPolicyReply = Reply({
  ...authsignalPolicyOut,
  defaultCountryCode: Type.Union([Type.String(), Type.Null()]),
  failureBudget: Reply({ maxConsecutiveFailures: Type.Integer(), lockoutMinutes: Type.Number() }),
  ipRateLimitConfigurations: Type.Array(WindowOut),
  userRateLimitConfigurations: Type.Array(WindowOut),
  tenantDailyLimit: Type.Integer(),
  lineTypes: Reply({ allowFixedLine: Type.Boolean(), allowVoip: Type.Boolean() }),
  adaptivePrefixBlocking: Reply({
    minSends: Type.Integer(),
    conversionRatio: Type.Number(),
    judgeAfterMinutes: Type.Number(),
  }),
  safeList: Type.Array(Type.String()),
  modes: Reply(byDefence(() => Type.String())),
  testNumbers: Type.Array(Reply({ phoneNumber: Type.String(), code: Type.String(), expiresAt: Type.String() })),
});

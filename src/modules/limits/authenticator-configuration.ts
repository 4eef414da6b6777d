import { createHash } from 'node:crypto';
import type { Static } from '@sinclair/typebox';
import { ApiError, invalidRequest, notFound } from '../../errors.js';
import type { Clock } from '../../lib/clock.js';
import type { ProviderConfig, SmsConfigService } from '../sms/config-service.js';
import type { PrefixLimit, SmsPolicy, TestNumber } from './policy.js';
import type {
  CredentialBlock,
  SmsAuthenticatorInput,
  SmsAuthenticatorReply,
  SmsDefencesInput,
  SmsProviderName,
} from './policy-contracts.js';
import type { SmsPolicyService } from './policy-service.js';

/**
 * Authsignal's SMS authenticator configuration (`/v1/management/authenticator-configurations/sms`) is
 * a second view of what Sigil already stores: its provider is the first entry of the tenant's ordered
 * provider list (the rest of the list is Sigil's failover, which this resource leaves alone), and its
 * limits are Authsignal's fields of the SMS policy. Nothing is stored twice, so a change made through
 * `/v1/management/sms-providers` shows here, and the reverse.
 */
export interface SmsAuthenticatorDeps {
  smsProviders: Pick<SmsConfigService, 'list' | 'masked' | 'replace' | 'parseOne'>;
  smsPolicies: Pick<SmsPolicyService, 'get' | 'update' | 'defaults'>;
}

type SmsAuthenticatorView = Static<typeof SmsAuthenticatorReply>;

interface ProviderMapping {
  /** Sigil's provider type. */
  type: string;
  /** The member that carries its credentials; the webhook has none, only `webhookUrl`. */
  block?: CredentialBlock;
  /** Authsignal's credential field → the provider config's field. */
  fields: Record<string, string>;
  /** The fields shown back, by the same mapping: never a secret. */
  shown: Record<string, string>;
}

const MAPPINGS: Record<SmsProviderName, ProviderMapping> = {
  TWILIO: {
    type: 'twilio',
    block: 'twilioCredentials',
    fields: { accountSid: 'accountSid', authToken: 'authToken', messagingServiceSid: 'messagingServiceSid' },
    shown: { accountSid: 'accountSid', messagingServiceSid: 'messagingServiceSid' },
  },
  BIRD: {
    type: 'bird',
    block: 'birdSmsCredentials',
    fields: { accessKey: 'accessKey', workspaceId: 'workspaceId', channelId: 'channelId' },
    shown: { workspaceId: 'workspaceId', channelId: 'channelId' },
  },
  MESSAGE_MEDIA: {
    type: 'messagemedia',
    block: 'messageMediaCredentials',
    fields: { apiKey: 'apiKey', apiSecret: 'apiSecret', sourceNumber: 'sourceNumber' },
    shown: { sourceNumber: 'sourceNumber' },
  },
  // Modica's Basic user is its Mobile Gateway application name.
  MODICA_GROUP: {
    type: 'modica',
    block: 'modicaGroupCredentials',
    fields: { username: 'applicationName', password: 'password' },
    shown: { username: 'applicationName' },
  },
  TNZ: { type: 'tnz', block: 'tnzCredentials', fields: { apiKey: 'apiKey' }, shown: {} },
  WEBHOOK: { type: 'webhook', fields: {}, shown: {} },
};

const NAMES = Object.keys(MAPPINGS) as SmsProviderName[];
const nameOf = (type: unknown): SmsProviderName | undefined => NAMES.find((n) => MAPPINGS[n].type === type);
const BLOCKS = NAMES.flatMap((n) => MAPPINGS[n].block ?? []);

/** Bird features of Authsignal's that Sigil's Bird adapter (the Channels API) does not have. */
const BIRD_UNSUPPORTED = ['navigatorId', 'projectId', 'locale', 'enableMessageTemplates'] as const;

const AUTHSIGNAL_FIELDS = [
  'isActive',
  'smsCountryCodes',
  'defaultCountryCode',
  'submissionRateLimitConfiguration',
  'sendingRateLimitConfigurations',
  'prefixRateLimitConfigurations',
  'allowedCustomSmsVariables',
] as const;

const NONE = 'The tenant has no SMS authenticator configuration';

/** Stable per tenant, and the same after a delete and a new create: Terraform keeps it as a computed ID. */
function smsAuthenticatorId(tenantId: string): string {
  const h = createHash('sha256').update(`sigil:sms-authenticator:${tenantId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export async function getSmsConfiguration(d: SmsAuthenticatorDeps, tenantId: string): Promise<SmsAuthenticatorView> {
  const view = await viewOf(d, tenantId);
  if (!view) throw notFound(NONE);
  return view;
}

/** `GET /authenticator-configurations`: the configured authenticators; Sigil has only SMS. */
export async function listAuthenticatorConfigurations(d: SmsAuthenticatorDeps, tenantId: string) {
  const view = await viewOf(d, tenantId);
  return view ? [view] : [];
}

/** Authsignal's fields left out take their defaults: a create defines the resource afresh. */
export async function createSmsConfiguration(d: SmsAuthenticatorDeps, tenantId: string, body: SmsAuthenticatorInput) {
  const { list, primary } = await providers(d, tenantId);
  if (primary)
    throw new ApiError('conflict', 'The tenant already has an SMS authenticator configuration; change it with PATCH');
  // Checked before anything is written: a bad credential leaves the tenant as it was.
  const entry = providerEntry(d, undefined, body);
  const defaults = d.smsPolicies.defaults();
  await d.smsPolicies.update(tenantId, (current) =>
    withAuthsignalFields(resetAuthsignalFields(current, defaults), body, defaults),
  );
  // The first entry was none or the dev provider; the entries after it stay.
  if (entry) await d.smsProviders.replace(tenantId, { providers: [entry, ...list.slice(1)] });
  return getSmsConfiguration(d, tenantId);
}

/** Three-state: a member left out is unchanged, `null` resets it, `[]` empties a list. */
export async function updateSmsConfiguration(d: SmsAuthenticatorDeps, tenantId: string, body: SmsAuthenticatorInput) {
  const { list, primary } = await providers(d, tenantId);
  if (!primary) throw notFound(NONE);
  const entry = providerEntry(d, primary, body);
  if (AUTHSIGNAL_FIELDS.some((k) => body[k] !== undefined)) {
    const defaults = d.smsPolicies.defaults();
    await d.smsPolicies.update(tenantId, (current) => withAuthsignalFields(current, body, defaults));
  }
  // A PATCH of limits alone does not rewrite the provider list, so it cannot undo a concurrent PUT of it.
  if (entry) await d.smsProviders.replace(tenantId, { providers: [entry, ...list.slice(1)] });
  return getSmsConfiguration(d, tenantId);
}

/**
 * Removes the first provider and resets Authsignal's fields of the policy; the failover entries and
 * Sigil's own defences stay. A failover entry of one of Authsignal's types then becomes the resource.
 */
export async function deleteSmsConfiguration(d: SmsAuthenticatorDeps, tenantId: string) {
  const { list, primary } = await providers(d, tenantId);
  if (!primary) throw notFound(NONE);
  const defaults = d.smsPolicies.defaults();
  await d.smsPolicies.update(tenantId, (current) => resetAuthsignalFields(current, defaults));
  await d.smsProviders.replace(tenantId, { providers: list.slice(1) });
  return { success: true };
}

async function providers(d: SmsAuthenticatorDeps, tenantId: string) {
  const list = await d.smsProviders.list(tenantId);
  const first = list[0];
  return { list, primary: first && nameOf(first.type) ? first : undefined };
}

/** Built from the masked list, so a secret cannot reach the view even if a mapping named one. */
async function viewOf(d: SmsAuthenticatorDeps, tenantId: string): Promise<SmsAuthenticatorView | undefined> {
  const [masked, policy] = await Promise.all([d.smsProviders.masked(tenantId), d.smsPolicies.get(tenantId)]);
  const first = masked[0];
  const name = nameOf(first?.type);
  if (!first || !name) return undefined;
  const mapping = MAPPINGS[name];
  const shown = Object.fromEntries(
    Object.entries(mapping.shown).flatMap(([as, field]) => (first[field] === undefined ? [] : [[as, first[field]]])),
  );
  return {
    authenticatorId: smsAuthenticatorId(tenantId),
    verificationMethod: 'SMS',
    smsProvider: name,
    ...(name === 'WEBHOOK' ? { webhookUrl: String(first.url) } : {}),
    isActive: policy.isActive,
    smsCountryCodes: policy.smsCountryCodes,
    ...(policy.defaultCountryCode ? { defaultCountryCode: policy.defaultCountryCode } : {}),
    submissionRateLimitConfiguration: policy.submissionRateLimitConfiguration,
    sendingRateLimitConfigurations: policy.sendingRateLimitConfigurations,
    prefixRateLimitConfigurations: policy.prefixRateLimitConfigurations,
    allowedCustomSmsVariables: policy.allowedCustomSmsVariables,
    ...((mapping.block ? { [mapping.block]: shown } : {}) as Partial<SmsAuthenticatorView>),
  };
}

/**
 * The provider config the body asks for, checked by the provider's own parser (so this resource and the
 * provider list accept the same configs), or undefined when the body changes nothing about the provider.
 * With the same provider the stored config is the base: a secret left out is kept, and so are Sigil's
 * own fields (base URL, sender, signing key). A new provider starts from its credentials alone.
 */
function providerEntry(
  d: SmsAuthenticatorDeps,
  current: ProviderConfig | undefined,
  body: SmsAuthenticatorInput,
): ProviderConfig | undefined {
  const name = body.smsProvider ?? nameOf(current?.type);
  if (!name) return undefined;
  const mapping = MAPPINGS[name];
  for (const block of BLOCKS) {
    if (block !== mapping.block && body[block] !== undefined) {
      throw invalidRequest(
        `${block} does not apply when smsProvider is ${name}; send ${mapping.block ?? 'webhookUrl'}`,
      );
    }
  }
  if (typeof body.webhookUrl === 'string' && name !== 'WEBHOOK') {
    throw invalidRequest(`webhookUrl applies only when smsProvider is WEBHOOK, not ${name}`);
  }
  const credentials = mapping.block ? (body[mapping.block] as Record<string, unknown> | undefined) : undefined;
  const keep = current?.type === mapping.type;
  if (keep && credentials === undefined && body.webhookUrl === undefined) return undefined;
  if (name === 'BIRD') {
    const unsupported = BIRD_UNSUPPORTED.find((f) => Boolean(credentials?.[f]));
    if (unsupported) {
      throw invalidRequest(`birdSmsCredentials.${unsupported} is not supported: Sigil sends through a Bird channel`);
    }
  }
  if (name === 'WEBHOOK' && (body.webhookUrl === null || (!keep && body.webhookUrl === undefined))) {
    throw invalidRequest('webhookUrl is required while smsProvider is WEBHOOK');
  }
  const raw: Record<string, unknown> = keep && current ? { ...current } : { type: mapping.type };
  for (const [as, field] of Object.entries(mapping.fields)) {
    if (credentials?.[as] !== undefined) raw[field] = credentials[as];
  }
  if (typeof body.webhookUrl === 'string') raw.url = body.webhookUrl;
  const label = mapping.block ?? 'webhookUrl';
  try {
    return d.smsProviders.parseOne(raw, label);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    throw new ApiError(err.code, inAuthsignalTerms(err.description, label, mapping), { cause: err });
  }
}

/** The provider parser names its own fields (`modica.applicationName`); say them as they were sent. */
function inAuthsignalTerms(description: string, label: string, mapping: ProviderMapping): string {
  let text = description.startsWith(`${label}: `) ? description.slice(label.length + 2) : description;
  for (const [as, field] of Object.entries(mapping.fields)) {
    text = text.replace(new RegExp(`\\b${mapping.type}\\.${field}\\b`, 'g'), `${label}.${as}`);
  }
  text = text.replace(/\bwebhook\.url\b/g, 'webhookUrl');
  return text.includes(label) ? text : `${label}: ${text}`;
}

function resetAuthsignalFields(policy: SmsPolicy, defaults: SmsPolicy): SmsPolicy {
  return { ...policy, ...Object.fromEntries(AUTHSIGNAL_FIELDS.map((k) => [k, defaults[k]])) };
}

/** Sets members of `next` from three-state values: undefined keeps one, null resets it to its default. */
function patcher(next: SmsPolicy, defaults: SmsPolicy) {
  return <K extends keyof SmsPolicy>(key: K, value: SmsPolicy[K] | null | undefined) => {
    if (value !== undefined) next[key] = value === null ? defaults[key] : value;
  };
}

const unique = <T>(values: T[]): T[] => [...new Set(values)];
/** Maps a three-state member's value; left out (undefined) and reset (null) stay as they are. */
const mapped = <T, U>(value: T | null | undefined, f: (v: T) => U): U | null | undefined =>
  value === null ? null : value === undefined ? undefined : f(value);

type PrefixInput = Omit<PrefixLimit, 'enabled' | 'countryCodes'> & { enabled?: boolean; countryCodes?: string[] };
const prefixLimit = (p: PrefixInput): PrefixLimit => ({
  enabled: p.enabled ?? true,
  blockSize: p.blockSize,
  rateLimit: p.rateLimit,
  windowInMinutes: p.windowInMinutes,
  countryCodes: unique(p.countryCodes ?? []),
});

/**
 * Authsignal's fields from a body over `current`. The default country must be one of the allowed
 * countries: sending one that is not is refused, while a stored one that a new list leaves out goes
 * with the restriction, as Authsignal discards it (`smsCountryCodes: []` clears it).
 */
function withAuthsignalFields(current: SmsPolicy, body: SmsAuthenticatorInput, defaults: SmsPolicy): SmsPolicy {
  const next = { ...current };
  const assign = patcher(next, defaults);
  assign('isActive', body.isActive);
  assign('smsCountryCodes', mapped(body.smsCountryCodes, unique));
  assign('defaultCountryCode', body.defaultCountryCode);
  assign('submissionRateLimitConfiguration', body.submissionRateLimitConfiguration);
  assign('sendingRateLimitConfigurations', body.sendingRateLimitConfigurations);
  assign(
    'prefixRateLimitConfigurations',
    mapped(body.prefixRateLimitConfigurations, (l) => l.map(prefixLimit)),
  );
  assign('allowedCustomSmsVariables', mapped(body.allowedCustomSmsVariables, unique));
  const code = next.defaultCountryCode;
  if (code !== null && !next.smsCountryCodes.includes(code)) {
    if (typeof body.defaultCountryCode !== 'string') next.defaultCountryCode = null;
    else if (next.smsCountryCodes.length === 0) {
      throw invalidRequest('defaultCountryCode needs smsCountryCodes: with none listed, every country is allowed');
    } else throw invalidRequest(`defaultCountryCode ${code} must be one of smsCountryCodes (${next.smsCountryCodes})`);
  }
  return next;
}

// Sigil's own defences: `/v1/management/sms-defences`.

export interface SmsDefencesDeps {
  clock: Clock;
  smsPolicies: Pick<SmsPolicyService, 'get' | 'update' | 'defaults'>;
}

export const getSmsDefences = (d: SmsDefencesDeps, tenantId: string): Promise<SmsPolicy> => d.smsPolicies.get(tenantId);

/** Three-state like Authsignal's fields; `modes` changes only the defences it names. */
export async function updateSmsDefences(d: SmsDefencesDeps, tenantId: string, body: SmsDefencesInput) {
  const testNumbers = mapped(body.testNumbers, (list) => checkedTestNumbers(list, d.clock.now()));
  const defaults = d.smsPolicies.defaults();
  return d.smsPolicies.update(tenantId, (current) => {
    const next = { ...current };
    const assign = patcher(next, defaults);
    assign('failureBudget', body.failureBudget);
    assign('ipRateLimitConfigurations', body.ipRateLimitConfigurations);
    assign('userRateLimitConfigurations', body.userRateLimitConfigurations);
    assign('tenantDailyLimit', body.tenantDailyLimit);
    assign('lineTypes', body.lineTypes);
    // judgeAfterMinutes may be left out of the object: it keeps its current value.
    assign(
      'adaptivePrefixBlocking',
      mapped(body.adaptivePrefixBlocking, (a) => ({
        ...a,
        judgeAfterMinutes: a.judgeAfterMinutes ?? current.adaptivePrefixBlocking.judgeAfterMinutes,
      })),
    );
    assign('safeList', mapped(body.safeList, unique));
    assign('testNumbers', testNumbers);
    if (body.modes === null) next.modes = defaults.modes;
    else if (body.modes) {
      const named = Object.entries(body.modes).filter(([, mode]) => mode !== undefined);
      next.modes = { ...current.modes, ...Object.fromEntries(named) };
    }
    return next;
  });
}

const YEAR_MS = 365 * 24 * 60 * 60_000;

/** A test number skips the SMS, so it must not outlive its purpose: it expires within a year. */
function checkedTestNumbers(list: TestNumber[], now: number): TestNumber[] {
  const seen = new Set<string>();
  return list.map((t, i) => {
    const at = Date.parse(t.expiresAt);
    if (!(at > now)) throw invalidRequest(`testNumbers[${i}].expiresAt must be in the future`);
    if (at > now + YEAR_MS) throw invalidRequest(`testNumbers[${i}].expiresAt must be at most a year ahead`);
    if (seen.has(t.phoneNumber)) throw invalidRequest(`testNumbers[${i}].phoneNumber is listed twice`);
    seen.add(t.phoneNumber);
    return { phoneNumber: t.phoneNumber, code: t.code, expiresAt: new Date(at).toISOString() };
  });
}

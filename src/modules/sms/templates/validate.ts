import type { Config } from '../../../config.js';
import { ApiError, invalidRequest } from '../../../errors.js';
import {
  BUILT_IN_TEMPLATE,
  canonicalLocale,
  checkTemplate,
  composeFromTemplate,
  DEFAULT_LOCALE,
  type MessageSettings,
} from './render.js';
import { type Measure, measure } from './segments.js';

/** What a tenant saved. An absent field follows the server's default, so a changed default reaches it. */
export interface StoredSettings {
  appName?: string;
  webOtpDomain?: string;
  androidAppHash?: string;
  maxSegments?: number;
  templates: Record<string, string>;
}

export const MAX_TEMPLATES = 50;
export const MAX_TEMPLATE_LENGTH = 1000;
export const MAX_APP_NAME_LENGTH = 50;
const SEGMENTS_RANGE = { min: 1, max: 10 } as const;

const FIELDS = new Set(['appName', 'webOtpDomain', 'androidAppHash', 'maxSegments', 'templates']);
const HOST_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const APP_HASH = /^[A-Za-z0-9+/]{11}$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses.
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Parses a whole settings document (PUT /sms-templates); `null` or absent fields take the default. */
export function parseSettings(body: unknown): StoredSettings {
  refuseUnknownFields(body);
  const doc = body as Record<string, unknown>;
  const stored: StoredSettings = { templates: parseTemplates(doc.templates) };
  if (doc.appName != null) stored.appName = parseAppName(doc.appName);
  if (doc.webOtpDomain != null && doc.webOtpDomain !== '') stored.webOtpDomain = parseDomain(doc.webOtpDomain);
  if (doc.androidAppHash != null && doc.androidAppHash !== '') stored.androidAppHash = parseAppHash(doc.androidAppHash);
  if (doc.maxSegments != null) stored.maxSegments = parseMaxSegments(doc.maxSegments);
  return stored;
}

/** Refuses anything but an object of the settings' fields: a misspelt field must not reset a setting. */
export function refuseUnknownFields(body: unknown): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidRequest('body must be an object');
  const unknown = Object.keys(body).filter((k) => !FIELDS.has(k));
  if (unknown.length > 0) {
    throw invalidRequest(`unknown field ${unknown[0]}: the fields are ${[...FIELDS].join(', ')}`);
  }
}

/** `templates` as a map `{ "fr": "..." }`, or as the list that GET returns (built-in entries are skipped). */
function parseTemplates(raw: unknown): Record<string, string> {
  if (raw == null) return {};
  let entries: [unknown, unknown][];
  if (Array.isArray(raw)) {
    entries = raw
      .filter((e) => !(typeof e === 'object' && e !== null && (e as { builtIn?: unknown }).builtIn === true))
      .map((e, i) => {
        if (typeof e !== 'object' || e === null) throw invalidRequest(`templates[${i}] must be an object`);
        return [(e as { locale?: unknown }).locale, (e as { text?: unknown }).text];
      });
  } else if (typeof raw === 'object') {
    entries = Object.entries(raw);
  } else {
    throw invalidRequest('templates must be an object of texts by locale');
  }
  if (entries.length > MAX_TEMPLATES) throw invalidRequest(`templates may hold at most ${MAX_TEMPLATES} locales`);
  const templates: Record<string, string> = {};
  for (const [rawLocale, text] of entries) {
    const locale = parseLocale(rawLocale);
    if (Object.hasOwn(templates, locale)) throw invalidRequest(`templates: locale ${locale} is given twice`);
    templates[locale] = parseTemplateText(locale, text);
  }
  return templates;
}

export function parseLocale(raw: unknown): string {
  const locale = typeof raw === 'string' ? canonicalLocale(raw) : undefined;
  if (!locale) {
    throw invalidRequest(
      `locale ${JSON.stringify(raw)} must be "default" or a language tag such as fr or fr-CA (^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$)`,
    );
  }
  return locale;
}

export function parseTemplateText(locale: string, text: unknown): string {
  if (typeof text !== 'string' || text.trim() === '')
    throw invalidRequest(`templates.${locale} must be a non-empty string`);
  if (text.length > MAX_TEMPLATE_LENGTH) {
    throw invalidRequest(`templates.${locale} may be at most ${MAX_TEMPLATE_LENGTH} characters long`);
  }
  try {
    checkTemplate(text);
  } catch (err) {
    if (err instanceof ApiError) throw invalidRequest(`templates.${locale}: ${err.description}`, { cause: err });
    throw err;
  }
  return text;
}

function parseAppName(raw: unknown): string {
  if (typeof raw !== 'string' || raw.trim() === '' || raw.length > MAX_APP_NAME_LENGTH || CONTROL.test(raw)) {
    throw invalidRequest(`appName must be a string of 1 to ${MAX_APP_NAME_LENGTH} characters on one line`);
  }
  return raw;
}

/** A host name only (WebOTP binds the code to an origin's host): no scheme, port, path or IP address. */
export function parseDomain(raw: unknown): string {
  const host = typeof raw === 'string' ? raw.toLowerCase() : '';
  const labels = host.split('.');
  const valid =
    host.length <= 253 && labels.every((l) => HOST_LABEL.test(l)) && !/^[0-9]+$/.test(labels[labels.length - 1] ?? '');
  if (!valid)
    throw invalidRequest('webOtpDomain must be a host name such as login.example.com, without https:// or a path');
  return host;
}

export function parseAppHash(raw: unknown): string {
  if (typeof raw !== 'string' || !APP_HASH.test(raw)) {
    throw invalidRequest('androidAppHash must be the 11-character app hash of the SMS Retriever API ([A-Za-z0-9+/])');
  }
  return raw;
}

function parseMaxSegments(raw: unknown): number {
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < SEGMENTS_RANGE.min || raw > SEGMENTS_RANGE.max) {
    throw invalidRequest(`maxSegments must be an integer from ${SEGMENTS_RANGE.min} to ${SEGMENTS_RANGE.max}`);
  }
  return raw;
}

export function effectiveSettings(stored: StoredSettings, config: Config): MessageSettings {
  return {
    appName: stored.appName ?? config.sms.appName,
    webOtpDomain: stored.webOtpDomain ?? null,
    androidAppHash: stored.androidAppHash ?? null,
    maxSegments: stored.maxSegments ?? config.sms.maxSegments,
    templates: stored.templates,
  };
}

export interface TemplateView extends Measure {
  locale: string;
  text: string;
  /** True for the server's own default text, shown while the tenant has no `default` template. */
  builtIn: boolean;
  /** The message as sent, with a sample code as long as real ones and the real expiry. */
  preview: string;
}

/** The values a template is measured and previewed with: a code as long as real ones, the real expiry. */
export function sampleVars(config: Config): { code: string; expiresInMinutes: number } {
  return {
    code: '1234567890'.slice(0, config.otp.length), // OTPs have at most 10 digits
    expiresInMinutes: Math.round(config.otp.ttlSeconds / 60),
  };
}

/** Each template (and the built-in default when the tenant has none), measured as it would be sent. */
export function templateViews(settings: MessageSettings, config: Config): TemplateView[] {
  const vars = sampleVars(config);
  const entries = Object.entries(settings.templates).map(([locale, text]) => ({ locale, text, builtIn: false }));
  if (!Object.hasOwn(settings.templates, DEFAULT_LOCALE)) {
    entries.push({ locale: DEFAULT_LOCALE, text: BUILT_IN_TEMPLATE, builtIn: true });
  }
  entries.sort((a, b) =>
    a.locale === DEFAULT_LOCALE ? -1 : b.locale === DEFAULT_LOCALE ? 1 : a.locale < b.locale ? -1 : 1,
  );
  return entries.map((e) => {
    const preview = composeFromTemplate(settings, e.text, vars);
    return { ...e, ...measure(preview), preview };
  });
}

const SEGMENT_SIZES = {
  'GSM-7': 'GSM-7 fits 160 characters in one segment, 153 per part once split.',
  'UCS-2':
    'UCS-2, used when any character is outside GSM-7 (an emoji, Cyrillic, ...), fits 70 characters in one segment, 67 per part once split.',
} as const;

/**
 * Refuses settings under which some message would be longer than maxSegments: each segment is billed
 * as one SMS, and a message in many parts arrives late or broken on some networks.
 */
export function checkSegments(settings: MessageSettings, config: Config): TemplateView[] {
  const views = templateViews(settings, config);
  for (const v of views) {
    const tooLong = segmentsRefusal(v, settings, config);
    if (tooLong) throw invalidRequest(tooLong);
  }
  return views;
}

/** Why a measured template is too long for maxSegments, in the words of the refusal; or undefined. */
export function segmentsRefusal(
  v: Pick<TemplateView, 'locale' | 'builtIn' | 'segments' | 'encoding' | 'characters'>,
  settings: MessageSettings,
  config: Config,
): string | undefined {
  if (v.segments <= settings.maxSegments) return undefined;
  const which = v.builtIn ? 'templates.default (the built-in text)' : `templates.${v.locale}`;
  return (
    `${which} would be sent as ${v.segments} ${v.encoding} segments (${v.characters} characters with a ` +
    `${config.otp.length}-digit code${settings.androidAppHash || settings.webOtpDomain ? ' and the app lines' : ''}), ` +
    `more than maxSegments ${settings.maxSegments}. ${SEGMENT_SIZES[v.encoding]}`
  );
}

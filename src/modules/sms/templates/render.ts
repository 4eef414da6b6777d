import { invalidRequest } from '../../../errors.js';

/** The variables a template may use. Anything else in braces is refused, so a typo never reaches a phone. */
const TEMPLATE_VARIABLES = ['code', 'appName', 'expiresInMinutes'] as const;
type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];
export type TemplateVars = Record<TemplateVariable, string | number>;

/** The message a tenant gets until it saves a `default` template of its own. */
export const BUILT_IN_TEMPLATE =
  'Your {appName} verification code is {code}. It expires in {expiresInMinutes} minutes. Do not share it.';

export const DEFAULT_LOCALE = 'default';

/** A tenant's effective message settings, defaults applied. */
export interface MessageSettings {
  appName: string;
  /** The origin's host for the WebOTP / iOS one-time-code line, `@<domain> #<code>`. */
  webOtpDomain: string | null;
  /** The 11-character hash that lets Android's SMS Retriever hand the message to the app. */
  androidAppHash: string | null;
  maxSegments: number;
  /** Template text by canonical locale (`default`, `fr`, `fr-CA`, ...). */
  templates: Record<string, string>;
}

/** `{name}` with no braces inside: `{ code }` and `{Code}` are placeholders too, and unknown ones. */
const PLACEHOLDER = /\{([^{}]*)\}/g;

const isVariable = (name: string): name is TemplateVariable => (TEMPLATE_VARIABLES as readonly string[]).includes(name);

/** Refuses a template with an unknown placeholder or without `{code}`; the description names the problem. */
export function checkTemplate(template: string): void {
  let hasCode = false;
  for (const [, name = ''] of template.matchAll(PLACEHOLDER)) {
    if (!isVariable(name)) {
      throw invalidRequest(
        `unknown placeholder {${name}}: the variables are ${TEMPLATE_VARIABLES.map((v) => `{${v}}`).join(', ')}`,
      );
    }
    if (name === 'code') hasCode = true;
  }
  if (!hasCode) throw invalidRequest('the template must contain {code}');
}

/**
 * Replaces the placeholders of a template. Saved templates have only known ones (checkTemplate); a
 * draft's unknown placeholder is left as written, so that its preview shows it.
 */
export function render(template: string, vars: TemplateVars): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => (isVariable(name) ? String(vars[name]) : whole));
}

const LOCALE = /^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/;

/**
 * `default`, or a language tag in its conventional case (`fr-CA`, `zh-Hant-TW`, `es-419`), so that
 * stored keys and lookups compare case-insensitively. Undefined when the tag is malformed.
 */
export function canonicalLocale(locale: string): string | undefined {
  if (locale.toLowerCase() === DEFAULT_LOCALE) return DEFAULT_LOCALE;
  if (!LOCALE.test(locale)) return undefined;
  return locale
    .split('-')
    .map((part, i) => {
      if (i === 0 || !/^[a-zA-Z]+$/.test(part)) return part.toLowerCase();
      if (part.length === 2) return part.toUpperCase();
      if (part.length === 4) return part.charAt(0).toUpperCase() + part.slice(1).toLowerCase();
      return part.toLowerCase();
    })
    .join('-');
}

/**
 * The template for a challenge's locale: the exact tag, then each shorter prefix of it (`zh-Hant-TW`,
 * `zh-Hant`, `zh`), then the tenant's `default`, then the built-in text. A malformed or missing locale
 * gets the default. `fr_CA` is read as `fr-CA`, as some platforms spell it.
 */
export function pickTemplate(
  templates: Record<string, string>,
  locale: string | null | undefined,
): { locale: string; text: string; builtIn: boolean } {
  const tag = locale ? canonicalLocale(locale.trim().replace(/_/g, '-')) : undefined;
  const parts = tag && tag !== DEFAULT_LOCALE ? tag.split('-') : [];
  for (let n = parts.length; n > 0; n--) {
    const candidate = parts.slice(0, n).join('-');
    const text = Object.hasOwn(templates, candidate) ? templates[candidate] : undefined;
    if (text !== undefined) return { locale: candidate, text, builtIn: false };
  }
  const fallback = Object.hasOwn(templates, DEFAULT_LOCALE) ? templates[DEFAULT_LOCALE] : undefined;
  if (fallback !== undefined) return { locale: DEFAULT_LOCALE, text: fallback, builtIn: false };
  return { locale: DEFAULT_LOCALE, text: BUILT_IN_TEMPLATE, builtIn: true };
}

/**
 * Renders one template and appends the lines that apps read, whatever the template: the Android app
 * hash on its own line, then, after a blank line, the origin-bound `@<domain> #<code>` line, which the
 * WebOTP API and iOS autofill only honour as the message's last line.
 */
export function composeFromTemplate(
  settings: Pick<MessageSettings, 'appName' | 'webOtpDomain' | 'androidAppHash'>,
  template: string,
  vars: { code: string; expiresInMinutes: number },
): string {
  let message = render(template, { ...vars, appName: settings.appName }).trimEnd();
  if (settings.androidAppHash) message += `\n${settings.androidAppHash}`;
  if (settings.webOtpDomain) message += `\n\n@${settings.webOtpDomain} #${vars.code}`;
  return message;
}

/** The OTP message for a challenge: the template chosen by its locale, rendered, with the app lines. */
export function composeOtpMessage(
  settings: MessageSettings,
  locale: string | null | undefined,
  vars: { code: string; expiresInMinutes: number },
): string {
  return composeFromTemplate(settings, pickTemplate(settings.templates, locale).text, vars);
}

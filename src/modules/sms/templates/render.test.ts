import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../errors.js';
import {
  BUILT_IN_TEMPLATE,
  canonicalLocale,
  checkTemplate,
  composeOtpMessage,
  type MessageSettings,
  pickTemplate,
  render,
} from './render.js';
import { measure } from './segments.js';

const vars = { code: '123456', expiresInMinutes: 10 };
const settings = (over: Partial<MessageSettings> = {}): MessageSettings => ({
  appName: 'Acme',
  webOtpDomain: null,
  androidAppHash: null,
  maxSegments: 2,
  templates: {},
  ...over,
});

const errorOf = (run: () => unknown) => {
  try {
    run();
  } catch (err) {
    return err as ApiError;
  }
  throw new Error('expected an error');
};

describe('render', () => {
  it('replaces every variable, each as often as it appears', () => {
    expect(render('{appName}: {code} ({code}), {expiresInMinutes} min', { ...vars, appName: 'Acme' })).toBe(
      'Acme: 123456 (123456), 10 min',
    );
  });

  it('refuses an unknown placeholder, naming it, and a template without {code}', () => {
    const unknown = errorOf(() => checkTemplate('Code {code} for {user}'));
    expect(unknown).toBeInstanceOf(ApiError);
    expect(unknown.code).toBe('invalid_request');
    expect(unknown.description).toMatch(/unknown placeholder \{user\}/);
    expect(errorOf(() => checkTemplate('Code {Code}')).description).toMatch(/\{Code\}/);
    expect(errorOf(() => checkTemplate('Code { code }')).description).toMatch(/\{ code \}/);
    expect(errorOf(() => checkTemplate('Your code is below')).description).toMatch(/must contain \{code\}/);
  });

  it('leaves a lone brace as text', () => {
    expect(render('{code} :-{', { ...vars, appName: 'A' })).toBe('123456 :-{');
  });
});

describe('locale choice', () => {
  const templates = { default: 'D {code}', fr: 'F {code}', 'fr-CA': 'FC {code}', 'zh-Hant': 'ZH {code}' };

  it('picks the exact locale case-insensitively, then its language, then default', () => {
    expect(pickTemplate(templates, 'fr-ca')).toMatchObject({ locale: 'fr-CA', builtIn: false });
    expect(pickTemplate(templates, 'FR_CA').locale).toBe('fr-CA');
    expect(pickTemplate(templates, 'fr-BE').locale).toBe('fr');
    expect(pickTemplate(templates, 'zh-Hant-TW').locale).toBe('zh-Hant');
    expect(pickTemplate(templates, 'de').locale).toBe('default');
    expect(pickTemplate(templates, null).locale).toBe('default');
    expect(pickTemplate(templates, 'not a locale!').locale).toBe('default');
  });

  it('falls back to the built-in text when the tenant has no default', () => {
    expect(pickTemplate({ fr: 'F {code}' }, 'de')).toEqual({
      locale: 'default',
      text: BUILT_IN_TEMPLATE,
      builtIn: true,
    });
    expect(pickTemplate({}, '__proto__').builtIn).toBe(true);
  });

  it('writes locales in their conventional case and refuses malformed ones', () => {
    expect(canonicalLocale('FR-ca')).toBe('fr-CA');
    expect(canonicalLocale('zh-hant-tw')).toBe('zh-Hant-TW');
    expect(canonicalLocale('es-419')).toBe('es-419');
    expect(canonicalLocale('DEFAULT')).toBe('default');
    for (const bad of ['f', 'fr-', 'fr-C', 'english', 'fr_CA', '']) expect(canonicalLocale(bad)).toBeUndefined();
  });
});

describe('composeOtpMessage', () => {
  it('sends the built-in text by default, as before templates existed', () => {
    expect(composeOtpMessage(settings(), undefined, vars)).toBe(
      'Your Acme verification code is 123456. It expires in 10 minutes. Do not share it.',
    );
  });

  it('ends every template with the app hash line, then a blank line and the WebOTP line', () => {
    const s = settings({
      webOtpDomain: 'login.example.com',
      androidAppHash: 'FA+9qCX9VSu',
      templates: { fr: 'Votre code {appName} : {code}\n' },
    });
    expect(composeOtpMessage(s, 'fr', vars)).toBe(
      'Votre code Acme : 123456\nFA+9qCX9VSu\n\n@login.example.com #123456',
    );
    const builtIn = composeOtpMessage(s, 'de', vars).split('\n');
    expect(builtIn.at(-1)).toBe('@login.example.com #123456');
    expect(builtIn).toContain('FA+9qCX9VSu');
  });
});

describe('measure', () => {
  it('fits 160 GSM-7 characters in one segment and splits 161 into two', () => {
    expect(measure('a'.repeat(160))).toEqual({
      encoding: 'GSM-7',
      segments: 1,
      characters: 160,
      charactersPerSegment: 160,
    });
    expect(measure('a'.repeat(161))).toEqual({
      encoding: 'GSM-7',
      segments: 2,
      characters: 161,
      charactersPerSegment: 153,
    });
    expect(measure('a'.repeat(306)).segments).toBe(2); // 153 per part once split
    expect(measure('a'.repeat(307)).segments).toBe(3);
  });

  it('counts GSM-7 extension characters such as { and [ twice', () => {
    expect(measure('{'.repeat(80))).toEqual({
      encoding: 'GSM-7',
      segments: 1,
      characters: 160,
      charactersPerSegment: 160,
    });
    expect(measure(`${'['.repeat(80)}a`)).toEqual({
      encoding: 'GSM-7',
      segments: 2,
      characters: 161,
      charactersPerSegment: 153,
    });
    expect(measure('é€').encoding).toBe('GSM-7');
  });

  it('switches to UCS-2 for Cyrillic or emoji: 70 characters per segment, then 67', () => {
    expect(measure('я'.repeat(70))).toEqual({
      encoding: 'UCS-2',
      segments: 1,
      characters: 70,
      charactersPerSegment: 70,
    });
    expect(measure('я'.repeat(71))).toEqual({
      encoding: 'UCS-2',
      segments: 2,
      characters: 71,
      charactersPerSegment: 67,
    });
    expect(measure('я'.repeat(134)).segments).toBe(2);
    expect(measure('я'.repeat(135)).segments).toBe(3);
    expect(measure(`${'a'.repeat(69)}🔐`)).toMatchObject({
      encoding: 'UCS-2',
      segments: 2,
      characters: 71,
      charactersPerSegment: 67,
    });
  });
});

import { VerificationMethod } from '@authsignal/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases } from '../helpers/databases.js';
import { management } from '../helpers/management.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';

const SMS = VerificationMethod.SMS;

interface Response {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read fields of several answer shapes directly.
  body: any;
}

/** Per-tenant, per-locale SMS templates: the Management API, and the messages that challenges send. */
describe.each(databases)('SMS templates ($name)', (db) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(db);
  });
  afterAll(() => t.close());

  async function call(method: string, path: string, body?: unknown, key = t.tenant.managementSecretKey) {
    const res = await t.fetch(`/management/sms-templates${path}`, {
      method,
      key,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined } as Response;
  }

  /** The newest message the dev provider "sent" to a number. */
  async function lastBody(to: string): Promise<string> {
    const row = await t.server.deps.db
      .selectFrom('dev_inbox')
      .select('body')
      .where('to', '=', to)
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    return row.body;
  }

  async function challengeBody(locale?: string, sdk = t.sdk): Promise<string> {
    const to = phone();
    await sdk.challenge({ verificationMethod: SMS, action: 'signIn', phoneNumber: to, ...(locale ? { locale } : {}) });
    return lastBody(to);
  }

  const clear = () => call('PUT', '', {});

  it('shows the built-in default, measured, until the tenant saves its own', async () => {
    await clear();
    const res = await call('GET', '');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ appName: 'Sigil', webOtpDomain: null, androidAppHash: null, maxSegments: 2 });
    expect(res.body.templates).toEqual([
      expect.objectContaining({ locale: 'default', builtIn: true, encoding: 'GSM-7', segments: 1 }),
    ]);
    expect(res.body.templates[0].text).toContain('{code}');
  });

  it('reports GSM-7 for plain text and UCS-2 for Cyrillic or emoji, with segments and characters', async () => {
    await clear();
    const plain = await call('PUT', '/en', { text: 'Your {appName} code is {code}' });
    expect(plain.status).toBe(200);
    expect(plain.body).toMatchObject({ locale: 'en', encoding: 'GSM-7', segments: 1, characters: 25, builtIn: false });
    expect(plain.body.preview).toBe('Your Sigil code is 123456');

    const cyrillic = await call('PUT', '/ru', { text: 'Ваш код {appName}: {code}' });
    expect(cyrillic.body).toMatchObject({ locale: 'ru', encoding: 'UCS-2', segments: 1 });
    const emoji = await call('PUT', '/en-NZ', { text: '🔐 {code} is your {appName} code' });
    expect(emoji.body).toMatchObject({ locale: 'en-NZ', encoding: 'UCS-2', segments: 1 });

    const listed = (await call('GET', '')).body.templates.map((v: { locale: string }) => v.locale);
    expect(listed).toEqual(['default', 'en', 'en-NZ', 'ru']);
  });

  it('refuses a template without {code}, or with an unknown placeholder, naming it', async () => {
    const missing = await call('PUT', '/de', { text: 'Ihr Code kommt gleich' });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ error: 'invalid_request' });
    expect(missing.body.errorDescription).toMatch(/templates\.de: .*\{code\}/);

    const unknown = await call('PUT', '/de', { text: 'Hallo {firstName}, Code {code}' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errorDescription).toMatch(/unknown placeholder \{firstName\}/);

    const whole = await call('PUT', '', { templates: { default: 'Code {code} {expiresIn}' } });
    expect(whole.status).toBe(400);
    expect(whole.body.errorDescription).toMatch(/templates\.default: unknown placeholder \{expiresIn\}/);
    expect((await call('PUT', '/not_a_locale', { text: '{code}' })).status).toBe(400);
  });

  it('refuses a template above maxSegments, naming the locale, the encoding and the count', async () => {
    await clear();
    const long = await call('PUT', '/es', { text: `Su codigo es {code}. ${'¡Hola! '.repeat(45)}` });
    expect(long.status).toBe(400);
    expect(long.body.errorDescription).toMatch(/templates\.es would be sent as 3 GSM-7 segments/);
    expect(long.body.errorDescription).toMatch(/maxSegments 2/);

    const emoji = await call('PUT', '', { maxSegments: 1, templates: { default: `🔐 {code} ${'x'.repeat(70)}` } });
    expect(emoji.status).toBe(400);
    expect(emoji.body.errorDescription).toMatch(/templates\.default would be sent as 2 UCS-2 segments/);

    // A higher limit, set by the tenant, lets the same text through.
    const allowed = await call('PUT', '', {
      maxSegments: 3,
      templates: { es: `Su codigo es {code}. ${'¡Hola! '.repeat(45)}` },
    });
    expect(allowed.status).toBe(200);
    expect(allowed.body.templates.find((v: { locale: string }) => v.locale === 'es')).toMatchObject({ segments: 3 });
    expect((await call('PUT', '', { maxSegments: 11 })).status).toBe(400);
  });

  it('picks the template by the challenge locale: fr-CA, then fr, then default', async () => {
    await call('PUT', '', {
      templates: { default: 'Default {code}', fr: 'Français {code}', 'fr-CA': 'Québec {code}' },
    });
    expect(await challengeBody('fr-CA')).toMatch(/^Québec \d{6}$/);
    expect(await challengeBody('fr-ca')).toMatch(/^Québec /);
    expect(await challengeBody('fr-BE')).toMatch(/^Français \d{6}$/);
    expect(await challengeBody('de-DE')).toMatch(/^Default \d{6}$/);
    expect(await challengeBody()).toMatch(/^Default /);

    expect((await call('DELETE', '/fr-CA')).body).toEqual({ success: true });
    expect(await challengeBody('fr-CA')).toMatch(/^Français /);
    expect((await call('DELETE', '/fr-CA')).status).toBe(404);
    await call('DELETE', '/default');
    expect(await challengeBody('de')).toMatch(/^Your Sigil verification code is \d{6}\./);
  });

  it('ends the message with the WebOTP line, after the Android app hash', async () => {
    const saved = await call('PUT', '', {
      appName: 'Acme',
      webOtpDomain: 'Login.Example.com',
      androidAppHash: 'FA+9qCX9VSu',
      templates: { en: '{appName}: your code is {code}. Valid {expiresInMinutes} min.' },
    });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ webOtpDomain: 'login.example.com', androidAppHash: 'FA+9qCX9VSu' });

    const to = phone();
    await t.sdk.challenge({ verificationMethod: SMS, action: 'signIn', phoneNumber: to, locale: 'en-GB' });
    const lines = (await lastBody(to)).split('\n');
    const code = await t.lastCode(to);
    expect(lines).toEqual([
      `Acme: your code is ${code}. Valid 10 min.`,
      'FA+9qCX9VSu',
      '',
      `@login.example.com #${code}`,
    ]);
    // The built-in default gets the same lines.
    expect((await challengeBody('de')).split('\n').at(-1)).toMatch(/^@login\.example\.com #\d{6}$/);

    expect((await call('PUT', '', { webOtpDomain: 'https://login.example.com' })).status).toBe(400);
    expect((await call('PUT', '', { androidAppHash: 'short' })).status).toBe(400);
    expect((await call('PUT', '', { webOtpDomains: 'x.example' })).body.errorDescription).toMatch(/unknown field/);
  });

  it('uses the locale given to track when the Client API sends the code', async () => {
    await call('PUT', '', { templates: { default: 'Default {code}', 'pt-BR': 'Seu código {code}' } });
    await management(t.apiUrl, t.tenant.managementSecretKey).createConfig('stepUp', 'CHALLENGE');
    const client = (path: string, token: string, body: unknown = {}) =>
      fetch(`${t.apiUrl}/client${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    const to = phone();
    await t.sdk.enrollVerifiedAuthenticator({
      userId: 'br-user',
      attributes: { verificationMethod: SMS, phoneNumber: to },
    });
    const tracked = await t.sdk.track({ userId: 'br-user', action: 'stepUp', attributes: { locale: 'pt-BR' } });
    expect((await client('/challenge/sms', tracked.token)).status).toBe(200);
    expect(await lastBody(to)).toMatch(/^Seu código \d{6}$/);
    // A resend keeps the challenge's locale.
    expect((await client('/challenge/sms', tracked.token)).status).toBe(200);
    expect(await lastBody(to)).toMatch(/^Seu código /);

    const newNumber = phone();
    const enrolling = await t.sdk.track({ userId: 'br-new-user', action: 'stepUp', attributes: { locale: 'pt' } });
    expect((await client('/user-authenticators/sms', enrolling.token, { phoneNumber: newNumber })).status).toBe(200);
    expect(await lastBody(newNumber)).toMatch(/^Default \d{6}$/); // `pt` is not `pt-BR`: no match upwards
  });

  it('keeps tenants apart: another tenant neither sees nor sends the first tenant’s templates', async () => {
    await call('PUT', '', { appName: 'TenantA', templates: { default: 'A-only {code}' } });
    const other = await t.newTenant('other');
    const seen = await call('GET', '', undefined, other.tenant.managementSecretKey);
    expect(seen.body).toMatchObject({ appName: 'Sigil' });
    expect(seen.body.templates).toEqual([expect.objectContaining({ locale: 'default', builtIn: true })]);
    expect((await call('DELETE', '/default', undefined, other.tenant.managementSecretKey)).status).toBe(404);
    expect(await challengeBody(undefined, other.sdk)).toMatch(/^Your Sigil verification code/);
    expect(await challengeBody()).toMatch(/^A-only /);
  });

  it('answers 401 to the server key: templates belong to the Management API', async () => {
    expect((await call('GET', '', undefined, t.tenant.apiSecretKey)).status).toBe(401);
  });
});

import { SegmentedMessage } from 'sms-segments-calculator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases } from '../helpers/databases.js';
import { management } from '../helpers/management.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';

interface Preview {
  text: string;
  encoding: 'GSM-7' | 'UCS-2';
  segments: number;
  characters: number;
  charactersPerSegment: number;
  lines: { webOtp: string | null; appHash: string | null };
  sampleCode: string;
  errors: { message: string }[];
}

/** The draft preview against what a real send delivers to the dev inbox. */
describe.each(databases)('SMS template preview ($name)', (db) => {
  let t: TestServer;
  // biome-ignore lint/suspicious/noExplicitAny: answers of several shapes.
  let call: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;
  beforeAll(async () => {
    t = await startTestServer(db);
    const api = management(t.apiUrl, t.tenant.managementSecretKey, '');
    call = (method, path, body) => api.request(method, path, body);
  });
  afterAll(() => t.close());

  const preview = async (body: Record<string, unknown>): Promise<Preview> => {
    const res = await call('POST', '/sms-templates/preview', body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };

  /** The message a challenge in `locale` delivers, with its code swapped for the preview's sample code. */
  const delivered = async (locale: string, sampleCode: string) => {
    const to = phone();
    await t.sdk.challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: to, locale });
    const inbox = await call('GET', `/dev/inbox?to=${encodeURIComponent(to)}&limit=1`);
    const body: string = inbox.body.messages[0].body;
    const code = await t.lastCode(to);
    return { body, asPreviewed: body.split(code).join(sampleCode) };
  };

  for (const [name, locale, template, encoding] of [
    ['GSM-7', 'fr', 'Votre code {appName} est {code}. Il expire dans {expiresInMinutes} minutes.', 'GSM-7'],
    ['UCS-2, two segments', 'ru', `Ваш код {code} 🔐 ${'действует недолго. '.repeat(3)}`, 'UCS-2'],
  ] as const) {
    it(`matches what a send delivers, text and segments (${name})`, async () => {
      const saved = await call('PUT', `/sms-templates/${locale}`, { text: template });
      expect(saved.status, JSON.stringify(saved.body)).toBe(200);
      const p = await preview({ template, locale });
      expect(p.errors).toEqual([]);
      const { body, asPreviewed } = await delivered(locale, p.sampleCode);
      expect(p.text).toBe(asPreviewed);
      const sent = new SegmentedMessage(body);
      expect(p).toMatchObject({ encoding, segments: sent.segmentsCount });
      expect(p.encoding).toBe(sent.encodingName);
      if (encoding === 'UCS-2') {
        expect(p).toMatchObject({ segments: 2, charactersPerSegment: 67, characters: body.length });
      } else {
        expect(p).toMatchObject({ segments: 1, charactersPerSegment: 160, characters: body.length });
      }
      expect(saved.body).toMatchObject({ preview: p.text, segments: p.segments, encoding: p.encoding });
    });
  }

  it('appends the app-hash and WebOTP lines as sends do, and takes overrides for a draft', async () => {
    const settings = await call('PUT', '/sms-templates', {
      appName: 'Acme',
      webOtpDomain: 'login.acme.example',
      androidAppHash: 'FA+9qCX9VSu',
      templates: { de: 'Ihr {appName} Code: {code}' },
    });
    expect(settings.status, JSON.stringify(settings.body)).toBe(200);
    const p = await preview({ template: 'Ihr {appName} Code: {code}', locale: 'de' });
    expect(p.lines).toEqual({ webOtp: `@login.acme.example #${p.sampleCode}`, appHash: 'FA+9qCX9VSu' });
    expect(p.text).toBe(`Ihr Acme Code: ${p.sampleCode}\nFA+9qCX9VSu\n\n@login.acme.example #${p.sampleCode}`);
    const { asPreviewed } = await delivered('de', p.sampleCode);
    expect(p.text).toBe(asPreviewed);

    const draft = await preview({ template: 'Code {code}', appHash: '', webOtpDomain: 'id.acme.example' });
    expect(draft.lines).toEqual({ webOtp: `@id.acme.example #${draft.sampleCode}`, appHash: null });
    expect(draft.text).toBe(`Code ${draft.sampleCode}\n\n@id.acme.example #${draft.sampleCode}`);
    await call('PUT', '/sms-templates', {});
  });

  it('lists what PUT would refuse, in the words PUT uses, and still renders the draft', async () => {
    const drafts: [Record<string, unknown>, () => Promise<{ status: number; body: { errorDescription: string } }>][] = [
      [{ template: 'Hi {name}, {code}' }, () => call('PUT', '/sms-templates/default', { text: 'Hi {name}, {code}' })],
      [{ template: 'No code here', locale: 'fr' }, () => call('PUT', '/sms-templates/fr', { text: 'No code here' })],
      [
        { template: '{code}', locale: 'not a locale' },
        () => call('PUT', '/sms-templates/not a locale', { text: '{code}' }),
      ],
      [
        { template: `{code} ${'x'.repeat(400)}` },
        () => call('PUT', '/sms-templates/default', { text: `{code} ${'x'.repeat(400)}` }),
      ],
      [
        { template: '{code}', appHash: 'short' },
        () => call('PUT', '/sms-templates', { androidAppHash: 'short', templates: { default: '{code}' } }),
      ],
    ];
    for (const [draft, put] of drafts) {
      const p = await preview(draft);
      const refused = await put();
      expect(refused.status, JSON.stringify(draft)).toBe(400);
      expect(p.errors).toEqual([{ message: refused.body.errorDescription }]);
    }
    const unknown = await preview({ template: 'Hi {name}, {code}' });
    expect(unknown.text).toBe(`Hi {name}, ${unknown.sampleCode}`);
    const tooLong = await preview({ template: `{code} ${'x'.repeat(400)}` });
    expect(tooLong).toMatchObject({ encoding: 'GSM-7', segments: 3, charactersPerSegment: 153 });
  });

  it('is refused without a template, and for a key without access', async () => {
    expect((await call('POST', '/sms-templates/preview', {})).status).toBe(400);
    const res = await fetch(`${t.apiUrl}/management/sms-templates/preview`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ template: '{code}' }),
    });
    expect(res.status).toBe(401);
  });
});

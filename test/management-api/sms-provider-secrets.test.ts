import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VendorFake } from '../fakes/common.js';
import { startTwilioFake } from '../fakes/twilio.js';
import { databases } from '../helpers/databases.js';
import { management } from '../helpers/management.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';

type Entry = Record<string, unknown> & { type: string; id?: string };
const hex = (n: number) => randomBytes(n).toString('hex');
const uuid = '0f8fad5b-d9cb-469f-a165-70867728950e';

/** A config of every type with secrets, each secret unique to this run, and a harmless non-secret edit. */
const configs = (): { config: Entry; edit: Record<string, unknown> }[] => [
  {
    config: { type: 'twilio', accountSid: `AC${hex(16)}`, authToken: `tw${hex(15)}`, from: '+15017122661' },
    edit: { from: 'Acme' },
  },
  {
    config: {
      type: 'bird',
      accessKey: `bird-${hex(16)}`,
      signingKey: `sign-${hex(16)}`,
      workspaceId: uuid,
      channelId: uuid,
    },
    edit: { channelId: '1b4e28ba-2fa1-11d2-883f-0016d3cca427' },
  },
  {
    config: { type: 'messagemedia', apiKey: `mmkey${hex(12)}`, apiSecret: `mm-${hex(16)}` },
    edit: { sourceNumber: 'Acme' },
  },
  { config: { type: 'tnz', apiKey: `tnz.${hex(16)}` }, edit: { fromNumber: '2661' } },
  {
    config: { type: 'modica', applicationName: 'sigil-app', password: `modica-${hex(12)}` },
    edit: { source: '2661' },
  },
  { config: { type: 'webhook', url: `https://hook:${hex(8)}@hooks.example.com/sms?token=${hex(12)}` }, edit: {} },
];

const SECRETS: Record<string, string[]> = {
  twilio: ['authToken'],
  bird: ['accessKey', 'signingKey'],
  messagemedia: ['apiKey', 'apiSecret'],
  tnz: ['apiKey'],
  modica: ['password'],
  webhook: ['url'],
};

/** "Left blank to keep": secrets are never shown, and a save without them keeps the stored ones. */
describe.each(databases)('SMS provider secrets ($name)', (db) => {
  let t: TestServer;
  let fake: VendorFake;
  beforeAll(async () => {
    fake = await startTwilioFake();
    t = await startTestServer(db);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const tenant = async () => {
    const { tenant } = await t.newTenant();
    const api = management(t.apiUrl, tenant.managementSecretKey, '');
    // biome-ignore lint/suspicious/noExplicitAny: answers of several shapes.
    const call = (method: string, path: string, body?: unknown) => api.request<any>(method, path, body);
    const stored = () => t.server.deps.smsProviders.list(tenant.tenantId);
    return { tenantId: tenant.tenantId, call, stored };
  };

  for (const { config, edit } of configs()) {
    const secrets = SECRETS[config.type] ?? [];
    it(`${config.type}: never shows ${secrets.join(', ')}, and keeps each one left out, empty or sent back masked`, async () => {
      const { call, stored } = await tenant();
      const put = await call('PUT', '/sms-providers', { providers: [config] });
      expect(put.status).toBe(200);
      const listed = await call('GET', '/sms-providers');
      for (const body of [put.body, listed.body]) {
        for (const field of secrets) expect(JSON.stringify(body)).not.toContain(String(config[field]));
      }
      const shown = listed.body.providers[0] as Entry;
      expect(shown.id).toMatch(/^prv_/);

      const saves: [string, Entry][] = [
        ['sent back as GET showed it', { ...shown, ...edit }],
        [
          'left out',
          Object.fromEntries(Object.entries({ ...config, ...edit }).filter(([k]) => !secrets.includes(k))) as Entry,
        ],
        ['empty', { ...config, ...edit, ...Object.fromEntries(secrets.map((f) => [f, ''])) }],
      ];
      for (const [how, entry] of saves) {
        const res = await call('PUT', '/sms-providers', { providers: [entry] });
        expect(res.status, `${how}: ${JSON.stringify(res.body)}`).toBe(200);
        const [kept] = await stored();
        for (const field of secrets) expect(kept?.[field], `${how}: ${field}`).toBe(config[field]);
        for (const [field, value] of Object.entries(edit)) expect(kept?.[field]).toBe(value);
        expect(kept?.id).toBe(shown.id);
      }
    });
  }

  it('keeps each secret with its provider when the list is reordered by id', async () => {
    const { call, stored } = await tenant();
    const [twilio, mm] = [configs()[0]?.config as Entry, configs()[2]?.config as Entry];
    await call('PUT', '/sms-providers', { providers: [twilio, mm] });
    const [a, b] = (await call('GET', '/sms-providers')).body.providers as Entry[];
    const res = await call('PUT', '/sms-providers', {
      providers: [
        { type: 'messagemedia', id: b?.id },
        { type: 'twilio', id: a?.id, accountSid: twilio.accountSid, from: twilio.from },
      ],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const [first, second] = await stored();
    expect(first).toMatchObject({ type: 'messagemedia', id: b?.id, apiKey: mm.apiKey, apiSecret: mm.apiSecret });
    expect(second).toMatchObject({ type: 'twilio', id: a?.id, authToken: twilio.authToken });
  });

  it('refuses a blank secret when the type changes, by position or by id, and keeps the old list', async () => {
    const { call, stored } = await tenant();
    await call('PUT', '/sms-providers', { providers: [configs()[0]?.config] });
    const [shown] = (await call('GET', '/sms-providers')).body.providers as Entry[];
    const before = await stored();
    for (const entry of [
      { type: 'messagemedia', apiKey: 'key123' },
      { type: 'messagemedia', id: shown?.id, apiKey: 'key123', apiSecret: '' },
      { type: 'tnz', id: shown?.id },
    ]) {
      const res = await call('PUT', '/sms-providers', { providers: [entry] });
      expect(res.status, JSON.stringify(entry)).toBe(400);
      expect(res.body).toMatchObject({
        errorCode: 'invalid_request',
        errorDescription: expect.stringMatching(/^providers\[0\]: (messagemedia\.apiSecret|tnz\.apiKey) is required$/),
      });
    }
    expect(await stored()).toEqual(before);
  });

  it('refuses an id named twice, and a new provider without its secret', async () => {
    const { call } = await tenant();
    await call('PUT', '/sms-providers', { providers: [configs()[3]?.config] });
    const [shown] = (await call('GET', '/sms-providers')).body.providers as Entry[];
    const twice = await call('PUT', '/sms-providers', { providers: [shown, shown] });
    expect(twice).toMatchObject({
      status: 400,
      body: { errorDescription: 'providers[1].id names the same provider as providers[0]' },
    });
    const added = await call('PUT', '/sms-providers', { providers: [shown, { type: 'tnz' }] });
    expect(added).toMatchObject({ status: 400, body: { errorDescription: 'providers[1]: tnz.apiKey is required' } });
  });

  it('sends with the kept secret: the Twilio fake accepts only the original Auth Token', async () => {
    const { call, stored } = await tenant();
    const original = fake.config();
    expect((await call('PUT', '/sms-providers', { providers: [original] })).status).toBe(200);
    const [shown] = (await call('GET', '/sms-providers')).body.providers as Entry[];
    const { authToken: _, ...withoutToken } = original;
    expect((await call('PUT', '/sms-providers', { providers: [{ ...withoutToken, id: shown?.id }] })).status).toBe(200);
    expect((await stored())[0]?.authToken).toBe(original.authToken);

    const to = phone();
    const test = await call('POST', '/sms-providers/test', { phoneNumber: to, provider: 0 });
    expect(test.body).toMatchObject({ outcome: 'accepted', message: expect.stringMatching(/^Sent through Twilio/) });
    const sent = fake.requests.at(-1);
    const basic = Buffer.from(`${original.accountSid}:${original.authToken}`).toString('base64');
    expect(sent?.headers.authorization).toBe(`Basic ${basic}`);

    // A draft with the stored provider's id, its token left blank, tests with the stored token too.
    const draft = await call('POST', '/sms-providers/test', {
      phoneNumber: phone(),
      provider: { ...withoutToken, id: shown?.id, authToken: '' },
    });
    expect(draft.body.outcome).toBe('accepted');
    // Without the id, a blank token is a new config's missing field.
    const bare = await call('POST', '/sms-providers/test', { phoneNumber: phone(), provider: withoutToken });
    expect(bare).toMatchObject({ status: 400, body: { errorDescription: 'provider: twilio.authToken is required' } });
  });
});

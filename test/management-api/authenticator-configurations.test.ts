import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VendorFake } from '../fakes/common.js';
import { startTwilioFake } from '../fakes/twilio.js';
import { databases } from '../helpers/databases.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';
import {
  accountSid,
  managementCalls,
  messageMediaKey,
  messagingServiceSid,
  PROVIDERS,
  SMS,
  secrets,
  twilioCreate,
  w,
  webhookUrl,
} from './management-calls.js';

/** The SMS authenticator configuration (Authsignal's resource) and Sigil's SMS defences beside it. */
describe.each(databases)('SMS authenticator configuration and defences ($name)', (db) => {
  let t: TestServer;
  let twilio: VendorFake;
  beforeAll(async () => {
    twilio = await startTwilioFake();
    t = await startTestServer(db);
  });
  afterAll(async () => {
    await t?.close();
    await twilio?.close();
  });
  const { tenant, providerList, refuses } = managementCalls(() => t);

  it('creates the configuration with each of the six providers, echoing only non-secret credentials', async () => {
    const defaults = t.server.deps.smsPolicies.defaults();
    for (const [smsProvider, p] of Object.entries(PROVIDERS)) {
      const { call } = await tenant();
      const created = await call('POST', SMS, { smsProvider, ...p.body });
      expect(created.status, smsProvider).toBe(200);
      expect(created.body).toEqual({
        authenticatorId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
        verificationMethod: 'SMS',
        smsProvider,
        isActive: true,
        smsCountryCodes: [],
        submissionRateLimitConfiguration: defaults.submissionRateLimitConfiguration,
        sendingRateLimitConfigurations: defaults.sendingRateLimitConfigurations,
        prefixRateLimitConfigurations: [],
        allowedCustomSmsVariables: [],
        ...p.echo,
      });
      expect((await call('GET', SMS)).body).toEqual(created.body);
      expect(await providerList(call)).toEqual([expect.objectContaining(p.entry)]);
    }
  });

  it('a second create is 409 and leaves the first configuration as it was', async () => {
    const { call } = await tenant();
    expect((await call('POST', SMS, twilioCreate)).status).toBe(200);
    const again = await call('POST', SMS, { smsProvider: 'TNZ', ...PROVIDERS.TNZ.body });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: 'conflict', errorCode: 'conflict' });
    expect((await call('GET', SMS)).body.smsProvider).toBe('TWILIO');
  });

  it('without a configuration GET, PATCH and DELETE are 404 and the list is empty, also over the dev provider', async () => {
    const { call } = await tenant();
    for (const providers of [undefined, [{ type: 'dev' }], []]) {
      if (providers) expect((await call('PUT', '/sms-providers', { providers })).status).toBe(200);
      for (const [method, body] of [['GET'], ['PATCH', { isActive: false }], ['DELETE']] as const) {
        const res = await call(method, SMS, body);
        expect(res.status, `${method} over ${JSON.stringify(providers)}`).toBe(404);
        expect(res.body).toMatchObject({ errorCode: 'not_found', errorDescription: expect.stringMatching(/SMS/) });
      }
      expect((await call('GET', '/authenticator-configurations')).body).toEqual([]);
    }
  });

  it('lists the SMS configuration among the authenticator configurations, with a stable ID', async () => {
    const { call } = await tenant();
    const created = (await call('POST', SMS, twilioCreate)).body;
    expect((await call('GET', '/authenticator-configurations')).body).toEqual([created]);
    expect((await call('DELETE', SMS)).status).toBe(200);
    const again = (await call('POST', SMS, { smsProvider: 'TNZ', ...PROVIDERS.TNZ.body })).body;
    expect(again.authenticatorId).toBe(created.authenticatorId);
    const other = await tenant();
    const theirs = (await other.call('POST', SMS, twilioCreate)).body;
    expect(theirs.authenticatorId).not.toBe(created.authenticatorId);
  });

  it('PATCH leaves out unchanged, resets null to the default and empties a list with []', async () => {
    const { call } = await tenant();
    const window = { rateLimit: 3, windowInMinutes: 2.5 };
    const prefix = { enabled: true, blockSize: 6, rateLimit: 50, windowInMinutes: 0.5, countryCodes: ['NZ'] };
    await call('POST', SMS, {
      ...twilioCreate,
      smsCountryCodes: ['NZ', 'AU', 'NZ'],
      defaultCountryCode: 'NZ',
      submissionRateLimitConfiguration: window,
      sendingRateLimitConfigurations: [window, { rateLimit: 20, windowInMinutes: 1440 }],
      prefixRateLimitConfigurations: [prefix, { blockSize: 'country', rateLimit: 1000, windowInMinutes: 60 }],
      allowedCustomSmsVariables: ['orderId', 'orderId', 'store'],
    });
    const before = (await call('PATCH', SMS, { isActive: false })).body;
    expect(before).toMatchObject({
      isActive: false,
      smsCountryCodes: ['NZ', 'AU'],
      defaultCountryCode: 'NZ',
      submissionRateLimitConfiguration: window,
      prefixRateLimitConfigurations: [prefix, { enabled: true, blockSize: 'country', countryCodes: [] }],
      allowedCustomSmsVariables: ['orderId', 'store'],
      twilioCredentials: { accountSid, messagingServiceSid },
    });
    const defaults = t.server.deps.smsPolicies.defaults();
    const after = await call('PATCH', SMS, {
      isActive: null,
      submissionRateLimitConfiguration: null,
      prefixRateLimitConfigurations: [],
      allowedCustomSmsVariables: [],
    });
    expect(after.body).toEqual({
      ...before,
      isActive: true,
      submissionRateLimitConfiguration: defaults.submissionRateLimitConfiguration,
      prefixRateLimitConfigurations: [],
      allowedCustomSmsVariables: [],
    });
    const reset = (await call('PATCH', SMS, { sendingRateLimitConfigurations: null, defaultCountryCode: null })).body;
    expect(reset.sendingRateLimitConfigurations).toEqual(defaults.sendingRateLimitConfigurations);
    expect(reset).not.toHaveProperty('defaultCountryCode');
    expect(reset.smsCountryCodes).toEqual(['NZ', 'AU']);
  });

  it('smsCountryCodes [] clears defaultCountryCode, and so does a list that leaves the default out', async () => {
    const { call } = await tenant();
    await call('POST', SMS, { ...twilioCreate, smsCountryCodes: ['NZ', 'AU'], defaultCountryCode: 'AU' });
    const narrowed = (await call('PATCH', SMS, { smsCountryCodes: ['NZ'] })).body;
    expect(narrowed).toMatchObject({ smsCountryCodes: ['NZ'] });
    expect(narrowed).not.toHaveProperty('defaultCountryCode');
    expect((await call('PATCH', SMS, { defaultCountryCode: 'NZ' })).body.defaultCountryCode).toBe('NZ');
    const cleared = (await call('PATCH', SMS, { smsCountryCodes: [] })).body;
    expect(cleared.smsCountryCodes).toEqual([]);
    expect(cleared).not.toHaveProperty('defaultCountryCode');
    const both = await call('PATCH', SMS, { smsCountryCodes: [], defaultCountryCode: 'NZ' });
    expect(both.status).toBe(400);
    expect(both.body.errorDescription).toMatch(/^defaultCountryCode needs smsCountryCodes/);
  });

  it('PATCH rotates a secret that it sends and keeps the stored one that it leaves out', async () => {
    const { call } = await tenant();
    // Through the provider list, so that the config points at the fake; the resource sees it at once.
    await call('PUT', '/sms-providers', { providers: [twilio.config()] });
    expect((await call('GET', SMS)).body).toMatchObject({
      smsProvider: 'TWILIO',
      twilioCredentials: { accountSid: twilio.config().accountSid },
    });
    const test = async () => (await call('POST', '/sms-providers/test', { phoneNumber: phone(), provider: 0 })).body;

    expect((await call('PATCH', SMS, { twilioCredentials: { accountSid: twilio.config().accountSid } })).status).toBe(
      200,
    );
    expect(await test()).toMatchObject({ outcome: 'accepted' });

    expect((await call('PATCH', SMS, { twilioCredentials: { authToken: secrets.twilioRotated } })).status).toBe(200);
    expect((await providerList(call))[0]).toMatchObject({
      authToken: `***${secrets.twilioRotated.slice(-4)}`,
      baseUrl: twilio.url,
    });
    expect(await test()).toMatchObject({ outcome: 'failed', error: { kind: 'route', reason: 'auth_failed' } });
  });

  it('the provider list and the resource are two views of one configuration; failover entries stay', async () => {
    const { call } = await tenant();
    const failover = { type: 'webhook', url: 'https://failover.example.com/sms' };
    await call('PUT', '/sms-providers', {
      providers: [
        { type: 'messagemedia', apiKey: messageMediaKey, apiSecret: secrets.messageMediaSecret, sourceNumber: 'Shop' },
        failover,
      ],
    });
    expect((await call('GET', SMS)).body).toMatchObject({
      smsProvider: 'MESSAGE_MEDIA',
      messageMediaCredentials: { sourceNumber: 'Shop' },
    });
    await call('PATCH', SMS, { smsProvider: 'TNZ', tnzCredentials: { apiKey: secrets.tnz } });
    expect(await providerList(call)).toEqual([
      expect.objectContaining({ type: 'tnz', apiKey: `***${secrets.tnz.slice(-4)}` }),
      { ...failover, id: expect.any(String) },
    ]);
    await call('PATCH', SMS, { isActive: false, smsCountryCodes: ['NZ'] });
    expect((await providerList(call)).map((p: { type: string }) => p.type)).toEqual(['tnz', 'webhook']);
  });

  it('changing provider starts from the new one: its credentials are required and webhookUrl goes', async () => {
    const { call } = await tenant();
    await call('POST', SMS, { smsProvider: 'WEBHOOK', webhookUrl });
    const bare = await call('PATCH', SMS, { smsProvider: 'TWILIO' });
    expect(bare.status).toBe(400);
    expect(bare.body.errorDescription).toMatch(/twilioCredentials\.messagingServiceSid is required/);
    const switched = (await call('PATCH', SMS, { smsProvider: 'TWILIO', ...PROVIDERS.TWILIO.body })).body;
    expect(switched).toMatchObject({ smsProvider: 'TWILIO', twilioCredentials: { accountSid } });
    expect(switched).not.toHaveProperty('webhookUrl');
  });

  it('DELETE answers JSON, removes the first provider and resets only Authsignal’s fields of the policy', async () => {
    const { call } = await tenant();
    await call('POST', SMS, { ...twilioCreate, isActive: false, smsCountryCodes: ['NZ'] });
    await call('PATCH', '/sms-defences', { tenantDailyLimit: 500 });
    const deleted = await call('DELETE', SMS);
    expect(deleted).toEqual({ status: 200, body: { success: true } });
    expect((await call('GET', SMS)).status).toBe(404);
    expect(await providerList(call)).toEqual([]);
    expect((await call('GET', '/sms-defences')).body).toMatchObject({
      isActive: true,
      smsCountryCodes: [],
      tenantDailyLimit: 500,
    });
  });

  it('DELETE keeps the failover entries, and one of Authsignal’s types then becomes the configuration', async () => {
    const { call } = await tenant();
    await call('POST', SMS, twilioCreate);
    const failover = { type: 'webhook', url: webhookUrl };
    const primary = { type: 'twilio', ...PROVIDERS.TWILIO.body.twilioCredentials };
    expect((await call('PUT', '/sms-providers', { providers: [primary, failover] })).status).toBe(200);
    await call('PATCH', SMS, { submissionRateLimitConfiguration: { rateLimit: 4, windowInMinutes: 4 } });
    expect((await providerList(call))[1]).toEqual({ ...failover, id: expect.any(String) });
    expect((await call('DELETE', SMS)).status).toBe(200);
    expect(await providerList(call)).toEqual([{ ...failover, id: expect.any(String) }]);
    expect((await call('GET', SMS)).body).toMatchObject({ smsProvider: 'WEBHOOK', webhookUrl });
  });

  it('refuses an invalid body with a 400 that names the field, and stores nothing', async () => {
    const { call } = await tenant();
    await refuses(call, 'POST', SMS, [
      [
        { ...twilioCreate, submissionRateLimitConfiguration: w(0) },
        /submissionRateLimitConfiguration\.rateLimit must be >= 1/,
      ],
      [
        { ...twilioCreate, sendingRateLimitConfigurations: Array(7).fill(w(5)) },
        /sendingRateLimitConfigurations must NOT have more than 6 items/,
      ],
      [
        { ...twilioCreate, prefixRateLimitConfigurations: [{ blockSize: 'x', rateLimit: 5, windowInMinutes: 5 }] },
        /prefixRateLimitConfigurations\.0\.blockSize/,
      ],
      [
        { ...twilioCreate, smsCountryCodes: ['NZ'], defaultCountryCode: 'AU' },
        /^defaultCountryCode AU must be one of smsCountryCodes \(NZ\)/,
      ],
      [{ ...twilioCreate, smsCountryCodes: ['XX'] }, /smsCountryCodes\.0 must be equal to one of the allowed values/],
      [{ smsProvider: 'WEBHOOK', webhookUrl: 'http://hooks.example.com/sms' }, /webhookUrl must match pattern/],
      [{ smsProvider: 'WEBHOOK' }, /^webhookUrl/],
      [{ ...twilioCreate, webhookUrl }, /^webhookUrl applies only when smsProvider is WEBHOOK/],
      [{ ...twilioCreate, ...PROVIDERS.BIRD.body }, /^birdSmsCredentials does not apply when smsProvider is TWILIO/],
      [
        { smsProvider: 'TWILIO', twilioCredentials: { accountSid, messagingServiceSid } },
        /^twilioCredentials\.authToken is required/,
      ],
      [
        { smsProvider: 'MODICA_GROUP', modicaGroupCredentials: { username: 'a:b', password: 'p' } },
        /^modicaGroupCredentials\.username is not valid/,
      ],
      [
        { smsProvider: 'BIRD', birdSmsCredentials: { ...PROVIDERS.BIRD.body.birdSmsCredentials, locale: 'en' } },
        /^birdSmsCredentials\.locale is not supported/,
      ],
      [{ smsProvider: 'SNS' }, /smsProvider must be equal to one of the allowed values/],
    ]);
    expect((await call('GET', SMS)).status).toBe(404);
    expect((await call('GET', '/sms-defences')).body).toEqual(t.server.deps.smsPolicies.defaults());
  });

  it('each tenant sees only its own configuration and defences', async () => {
    const mine = await tenant();
    const theirs = await tenant();
    await mine.call('POST', SMS, { ...twilioCreate, smsCountryCodes: ['NZ'] });
    await mine.call('PATCH', '/sms-defences', { tenantDailyLimit: 7 });
    expect((await theirs.call('GET', SMS)).status).toBe(404);
    expect((await theirs.call('PATCH', SMS, { isActive: false })).status).toBe(404);
    expect((await theirs.call('DELETE', SMS)).status).toBe(404);
    expect((await theirs.call('GET', '/authenticator-configurations')).body).toEqual([]);
    expect((await theirs.call('GET', '/sms-defences')).body).toEqual(t.server.deps.smsPolicies.defaults());
    expect((await mine.call('GET', SMS)).body).toMatchObject({ smsProvider: 'TWILIO', smsCountryCodes: ['NZ'] });
  });

  it('publishes the bounds in /openapi.json, where they are the validation', async () => {
    const doc = await (await fetch(`${t.server.url}/openapi.json`)).json();
    const schema =
      doc.paths['/v1/management/authenticator-configurations/sms'].post.requestBody.content['application/json'].schema;
    expect(schema.required).toEqual(['smsProvider']);
    expect(schema.properties.sendingRateLimitConfigurations).toMatchObject({ minItems: 1, maxItems: 6 });
    expect(schema.properties.submissionRateLimitConfiguration.properties.rateLimit).toMatchObject({
      minimum: 1,
      maximum: 100,
    });
    const defences = doc.paths['/v1/management/sms-defences'].patch.requestBody.content['application/json'].schema;
    expect(defences.properties.testNumbers).toMatchObject({ maxItems: 5 });
  });
});

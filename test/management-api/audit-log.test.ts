import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MASK } from '../../src/modules/audit/mask.js';
import { databases } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  accountSid,
  managementCalls,
  messageMediaKey,
  messagingServiceSid,
  PROVIDERS,
  SMS,
  secrets,
  twilioCreate,
} from './management-calls.js';

/** Every secret of this run, and the management keys: none may be in a stored entry. */
const forbidden = () => [...Object.values(secrets), messageMediaKey];

/** Writes through the Management API are recorded once each, with the caller, the IP, before and after. */
describe.each(databases)('audit log: what is recorded ($name)', (db) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(db);
  });
  afterAll(async () => {
    await t?.close();
  });
  const { tenant } = managementCalls(() => t);

  /** The stored rows of a tenant, raw, as text: what a database dump would show. */
  const rawRows = async (tenantId: string) =>
    JSON.stringify(
      await t.server.deps.db.selectFrom('audit_log').selectAll().where('tenant_id', '=', tenantId).execute(),
    );
  const expectNoSecret = async (tenantId: string, extra: string[] = []) => {
    const raw = await rawRows(tenantId);
    for (const secret of [...forbidden(), ...extra]) expect(raw).not.toContain(secret);
  };
  const entries = async (call: Awaited<ReturnType<typeof tenant>>['call'], query = '') => {
    const res = await call('GET', `/audit-log${query}`);
    expect(res.status).toBe(200);
    // biome-ignore lint/suspicious/noExplicitAny: entries are read field by field.
    return res.body.entries as Record<string, any>[];
  };

  it('records a PUT of the SMS providers with the key, the IP, before and after, and no secret', async () => {
    const { call, tenantId } = await tenant();
    const twilio = { type: 'twilio', accountSid, authToken: secrets.twilio, messagingServiceSid };
    expect((await call('PUT', '/sms-providers', { providers: [] })).status).toBe(200);
    expect((await call('PUT', '/sms-providers', { providers: [twilio] })).status).toBe(200);
    const [latest, first, ...rest] = await entries(call);
    expect(rest).toEqual([]);
    const keys = (await call('GET', '/api-keys')).body as { keyId: string; kind: string }[];
    const managementKeyId = keys.find((k) => k.kind === 'management')?.keyId;
    expect(first).toMatchObject({ before: { providers: [{ type: 'dev' }] }, after: { providers: [] } });
    expect(latest).toEqual({
      entryId: expect.any(String),
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      actor: { kind: 'key', id: managementKeyId },
      tenantId,
      action: 'sms-providers.update',
      method: 'PUT',
      path: '/v1/management/sms-providers',
      route: '/v1/management/sms-providers',
      status: 200,
      ipAddress: '127.0.0.1',
      before: { providers: [] },
      after: {
        providers: [
          {
            // The provider's stable ID, which the portal sends back to keep its secrets.
            id: expect.stringMatching(/^prv_/),
            type: 'twilio',
            accountSid,
            authToken: MASK,
            messagingServiceSid,
            baseUrl: expect.any(String),
            receiptUrl: MASK,
          },
        ],
      },
      request: { providers: [{ ...twilio, authToken: MASK }] },
    });
    await expectNoSecret(tenantId);
  });

  it('records every provider type sent to PUT /sms-providers without any of its secrets', async () => {
    const { call, tenantId } = await tenant();
    const providers = [
      { type: 'twilio', accountSid, authToken: secrets.twilio, messagingServiceSid },
      {
        type: 'bird',
        accessKey: secrets.bird,
        signingKey: secrets.twilioRotated,
        ...PROVIDERS.BIRD.echo.birdSmsCredentials,
      },
      { type: 'messagemedia', apiKey: messageMediaKey, apiSecret: secrets.messageMediaSecret, sourceNumber: 'Sigil' },
      { type: 'modica', applicationName: 'sigil-app', password: secrets.modica },
      { type: 'tnz', apiKey: secrets.tnz },
      { type: 'webhook', url: `https://hooks.example.com/sms?token=${secrets.twilio}x` },
    ];
    expect((await call('PUT', '/sms-providers', { providers })).status).toBe(200);
    const [entry] = await entries(call);
    expect(entry?.after.providers.map((p: { type: string }) => p.type)).toEqual(providers.map((p) => p.type));
    await expectNoSecret(tenantId);
  });

  it('records creating the SMS configuration with each provider, and a rotation, with every credential masked', async () => {
    for (const [smsProvider, p] of Object.entries(PROVIDERS)) {
      const { call, tenantId } = await tenant();
      expect((await call('POST', SMS, { smsProvider, ...p.body })).status, smsProvider).toBe(200);
      const [entry, ...rest] = await entries(call);
      expect(rest).toEqual([]);
      expect(entry).toMatchObject({
        action: 'authenticator-configurations.sms.create',
        status: 200,
        before: null,
        after: { smsProvider, verificationMethod: 'SMS' },
      });
      for (const [block, credentials] of Object.entries(p.body)) {
        if (typeof credentials !== 'object') continue;
        const masked = Object.fromEntries(Object.keys(credentials).map((k) => [k, MASK]));
        expect(entry?.request[block], smsProvider).toEqual(masked);
      }
      await expectNoSecret(tenantId);
    }
    const { call, tenantId } = await tenant();
    await call('POST', SMS, twilioCreate);
    const rotated = { twilioCredentials: { authToken: secrets.twilioRotated } };
    expect((await call('PATCH', SMS, { ...rotated, isActive: false })).status).toBe(200);
    const [patch] = await entries(call);
    expect(patch).toMatchObject({
      action: 'authenticator-configurations.sms.update',
      before: { isActive: true, smsProvider: 'TWILIO' },
      after: { isActive: false, smsProvider: 'TWILIO' },
      request: { twilioCredentials: { authToken: MASK }, isActive: false },
    });
    await expectNoSecret(tenantId);
  });

  it('records SMS templates, whole and per locale, with the locale as its before and after', async () => {
    const { call, tenantId } = await tenant();
    expect((await call('PUT', '/sms-templates', { appName: 'Acme' })).status).toBe(200);
    expect((await call('PUT', '/sms-templates/fr', { text: 'Votre code {appName} est {code}' })).status).toBe(200);
    expect((await call('DELETE', '/sms-templates/fr')).status).toBe(200);
    const [deleted, locale, whole] = await entries(call);
    expect(whole).toMatchObject({ action: 'sms-templates.update', request: { appName: 'Acme' } });
    expect(whole?.before.appName).not.toBe('Acme');
    expect(whole?.after.appName).toBe('Acme');
    expect(locale).toMatchObject({
      action: 'sms-templates.update',
      route: '/v1/management/sms-templates/:locale',
      path: '/v1/management/sms-templates/fr',
      before: null,
      after: { locale: 'fr', text: 'Votre code {appName} est {code}' },
    });
    expect(deleted).toMatchObject({
      action: 'sms-templates.delete',
      before: { locale: 'fr', text: 'Votre code {appName} est {code}' },
      after: null,
    });
    await expectNoSecret(tenantId);
  });

  it('records an action configuration and its rules from create to delete, in either spelling', async () => {
    const { call } = await tenant();
    await call('POST', '/action-configurations', { actionCode: 'signIn', defaultUserActionResult: 'ALLOW' });
    await call('PATCH', '/action_configurations/signIn', { defaultUserActionResult: 'CHALLENGE' });
    const rule = (
      await call('POST', '/action-configurations/signIn/rules', {
        name: 'New country',
        type: 'BLOCK',
        conditions: { '>': [{ var: 'custom.amount' }, 1000] },
      })
    ).body;
    expect(rule.ruleId).toEqual(expect.any(String));
    await call('PATCH', `/action-configurations/signIn/rules/${rule.ruleId}`, { isActive: false });
    await call('DELETE', `/action-configurations/signIn/rules/${rule.ruleId}`);
    await call('DELETE', '/action-configurations/signIn');
    const list = (await entries(call)).reverse();
    expect(list.map((e) => [e.action, e.status])).toEqual([
      ['action-configurations.create', 200],
      ['action-configurations.update', 200],
      ['action-configurations.rules.create', 200],
      ['action-configurations.rules.update', 200],
      ['action-configurations.rules.delete', 200],
      ['action-configurations.delete', 200],
    ]);
    const [create, update, ruleCreate, ruleUpdate, ruleDelete, remove] = list;
    expect(create).toMatchObject({ before: null, after: { actionCode: 'signIn', defaultUserActionResult: 'ALLOW' } });
    expect(update).toMatchObject({
      path: '/v1/management/action_configurations/signIn',
      before: { defaultUserActionResult: 'ALLOW' },
      after: { defaultUserActionResult: 'CHALLENGE' },
    });
    expect(ruleCreate).toMatchObject({ before: null, after: { ruleId: rule.ruleId, isActive: true } });
    expect(ruleUpdate).toMatchObject({ before: { isActive: true }, after: { isActive: false } });
    expect(ruleDelete).toMatchObject({ before: { ruleId: rule.ruleId, isActive: false }, after: null });
    expect(remove).toMatchObject({ before: { defaultUserActionResult: 'CHALLENGE' }, after: null });
  });

  it('records the SMS defences PATCH with the policy before and after', async () => {
    const { call } = await tenant();
    expect((await call('PATCH', '/sms-defences', { tenantDailyLimit: 2500 })).status).toBe(200);
    const [entry] = await entries(call);
    expect(entry).toMatchObject({
      action: 'sms-defences.update',
      after: { tenantDailyLimit: 2500 },
      request: { tenantDailyLimit: 2500 },
    });
    expect(entry?.before.tenantDailyLimit).not.toBe(2500);
  });

  it('records refused writes with their status, but no GET and no caller without a key', async () => {
    const { call, tenantId } = await tenant();
    expect((await call('POST', SMS, twilioCreate)).status).toBe(200);
    expect((await call('POST', SMS, twilioCreate)).status).toBe(409);
    expect((await call('PUT', '/sms-templates', { appNmae: 'typo' })).status).toBe(400);
    for (const path of ['/sms-providers', SMS, '/sms-templates', '/sms-defences', '/action-configurations']) {
      expect((await call('GET', path)).status).toBe(200);
    }
    const total = async () => (await t.server.deps.db.selectFrom('audit_log').select('id').execute()).length;
    const before = await total();
    const anonymous = await t.fetch('/management/sms-providers', { method: 'PUT', key: 'mk_nope', body: '{}' });
    expect(anonymous.status).toBe(401);
    expect(await total()).toBe(before);
    const list = await entries(call);
    expect(list.map((e) => [e.action, e.status])).toEqual([
      ['sms-templates.update', 400],
      ['authenticator-configurations.sms.create', 409],
      ['authenticator-configurations.sms.create', 200],
    ]);
    expect(list[1]).toMatchObject({ before: null, after: null, request: { twilioCredentials: { authToken: MASK } } });
    await expectNoSecret(tenantId);
  });

  it('answers 503 when the entry cannot be written, rather than acknowledge an unrecorded change', async () => {
    const { call } = await tenant();
    const db = t.server.deps.db;
    await db.schema.alterTable('audit_log').renameTo('audit_log_away').execute();
    try {
      const raw = await t.fetch('/management/sms-templates', {
        method: 'PUT',
        key: (await t.newTenant()).tenant.managementSecretKey,
        body: JSON.stringify({ appName: 'Elsewhere' }),
      });
      expect([raw.status, raw.headers.get('content-type')]).toEqual([503, 'application/json']);
      const res = await call('PUT', '/sms-templates', { appName: 'Unrecorded' });
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({
        errorCode: 'service_unavailable',
        errorDescription: expect.stringMatching(/audit/),
      });
    } finally {
      await db.schema.alterTable('audit_log_away').renameTo('audit_log').execute();
    }
    // The caller was told; the change itself had committed and shows.
    expect((await call('GET', '/sms-templates')).body.appName).toBe('Unrecorded');
  });
});

import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases } from '../helpers/databases.js';
import { type ManagementClient, management } from '../helpers/management.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

interface Published {
  type: string;
  title: string;
  schema: { properties: Record<string, { writeOnly?: boolean; title?: string; description?: string }> };
  secretFields: string[];
  receiptUrl: string | null;
  receiptHelp: string | null;
}

const uuid = '0f8fad5b-d9cb-469f-a165-70867728950e';
const hex32 = 'a1'.repeat(16);

/** A valid config of each type, and variants that must be accepted or refused alike by schema and PUT. */
const CASES: Record<string, { valid: Record<string, unknown>; variants: [string, Record<string, unknown>][] }> = {
  twilio: {
    valid: { type: 'twilio', accountSid: `AC${hex32}`, authToken: 'f'.repeat(32), from: '+15017122661' },
    variants: [
      ['a messaging service instead of a sender', { from: undefined, messagingServiceSid: `MG${hex32}` }],
      ['neither sender nor messaging service', { from: undefined }],
      ['a bad account SID', { accountSid: 'SK123' }],
      ['a short auth token', { authToken: 'abc' }],
      ['a sender ID too long', { from: 'A sender ID that is too long' }],
      ['a short code', { from: '12345' }],
      ['no auth token', { authToken: undefined }],
      ['a number for a string', { accountSid: 42 }],
      ['a regional base URL', { baseUrl: 'https://api.dublin.ie1.twilio.com' }],
      ['a plain http base URL', { baseUrl: 'http://api.twilio.com' }],
      ['a loopback http base URL', { baseUrl: 'http://127.0.0.1:8099' }],
      ['a base URL with credentials', { baseUrl: 'https://u:p@api.twilio.com' }],
      ['a base URL with a query', { baseUrl: 'https://api.twilio.com/?x=1' }],
      ['a base URL with a port and path', { baseUrl: 'https://sms.example.com:8443/twilio' }],
      ['a base URL that is not a URL', { baseUrl: 'api.twilio.com' }],
    ],
  },
  bird: {
    valid: { type: 'bird', accessKey: 'ak-123', workspaceId: uuid, channelId: uuid },
    variants: [
      ['a signing key', { signingKey: 'sk with spaces' }],
      ['a ws_ name for the workspace', { workspaceId: 'ws_abc' }],
      ['an access key with a space', { accessKey: 'a b' }],
      ['no channel', { channelId: undefined }],
    ],
  },
  messagemedia: {
    valid: { type: 'messagemedia', apiKey: 'key123', apiSecret: 'secret456' },
    variants: [
      ['a sender ID', { sourceNumber: 'Acme' }],
      ['a numeric sender ID', { sourceNumber: '12345' }],
      ['an E.164 source number', { sourceNumber: '+61491570156' }],
      ['an API key with a colon', { apiKey: 'a:b' }],
      ['no API secret', { apiSecret: undefined }],
    ],
  },
  tnz: {
    valid: { type: 'tnz', apiKey: 'eyJhbGciOi.JIUzI1NiJ9.abcdef' },
    variants: [
      ['a from number', { fromNumber: '+6421000000' }],
      ['a from number with letters', { fromNumber: 'Acme' }],
      ['an auth token with "Basic "', { apiKey: 'Basic abcdefghijklmnopq' }],
      ['a short token', { apiKey: 'abc' }],
    ],
  },
  modica: {
    valid: { type: 'modica', applicationName: 'sigil-app', password: 'p4ss word' },
    variants: [
      ['a source', { source: '2661' }],
      ['an application name with a colon', { applicationName: 'a:b' }],
      ['a password over two lines', { password: 'a\nb' }],
    ],
  },
  webhook: {
    valid: { type: 'webhook', url: 'https://hooks.example.com/sms?token=abc' },
    variants: [
      ['plain http', { url: 'http://hooks.example.com/sms' }],
      ['user info', { url: 'https://user:pass@hooks.example.com/' }],
      ['IPv4', { url: 'https://203.0.113.7:8443/hook' }],
      ['IPv6 loopback', { url: 'http://[::1]:9000/' }],
      ['ftp', { url: 'ftp://hooks.example.com/' }],
      ['not a URL', { url: 'not a url' }],
      ['a space in the host', { url: 'http://exa mple.com/' }],
      ['no URL', { url: undefined }],
    ],
  },
  dev: { valid: { type: 'dev' }, variants: [] },
};

const withVariant = (valid: Record<string, unknown>, change: Record<string, unknown>) => {
  const config: Record<string, unknown> = { ...valid, ...change };
  for (const [k, v] of Object.entries(change)) if (v === undefined) delete config[k];
  return config;
};

/**
 * An independent JSON Schema validator: Fastify's own Ajv (not TypeBox, which Sigil validates with),
 * without coercion, defaults or stripping, over a route per provider type whose body is its schema.
 */
async function schemaValidator(published: Published[]) {
  const app: FastifyInstance = Fastify({
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false } },
  });
  for (const p of published) app.post(`/${p.type}`, { schema: { body: p.schema } }, async () => ({ ok: true }));
  await app.ready();
  const valid = async (type: string, config: unknown) =>
    (await app.inject({ method: 'POST', url: `/${type}`, payload: config as object })).statusCode === 200;
  return { valid, close: () => app.close() };
}

describe.each(databases)('SMS provider schemas ($name)', (db) => {
  let t: TestServer;
  let api: ManagementClient;
  let published: Published[];
  let validator: Awaited<ReturnType<typeof schemaValidator>>;
  beforeAll(async () => {
    t = await startTestServer(db);
    api = management(t.apiUrl, t.tenant.managementSecretKey, '');
    const res = await api.request<{ providers: Published[] }>('GET', '/sms-providers/schemas');
    expect(res.status).toBe(200);
    published = res.body.providers;
    validator = await schemaValidator(published);
  });
  afterAll(async () => {
    await t?.close();
    await validator?.close();
  });

  it('publishes every provider type with a title, labelled fields and its secret fields', () => {
    expect(published.map((p) => p.type).sort()).toEqual(Object.keys(CASES).sort());
    for (const p of published) {
      expect(p.title, p.type).toMatch(/\w/);
      const secrets = Object.entries(p.schema.properties).filter(([, s]) => s.writeOnly === true);
      expect(p.secretFields).toEqual(secrets.map(([k]) => k));
      for (const [name, s] of Object.entries(p.schema.properties)) {
        if (name !== 'type') expect(s.title && s.description, `${p.type}.${name}`).toBeTruthy();
      }
    }
    const secretsOf = Object.fromEntries(published.map((p) => [p.type, p.secretFields]));
    expect(secretsOf).toEqual({
      twilio: ['authToken'],
      bird: ['accessKey', 'signingKey'],
      messagemedia: ['apiKey', 'apiSecret'],
      tnz: ['apiKey'],
      modica: ['password'],
      webhook: ['url'],
      dev: [],
    });
  });

  it("gives the tenant's own receipt URL for vendors with receipts, and says what to do with it", async () => {
    expect((await api.request('PUT', '/sms-providers', { providers: [CASES.twilio?.valid] })).status).toBe(200);
    const listed = await api.request<{ providers: { receiptUrl?: string }[] }>('GET', '/sms-providers');
    const twilio = published.find((p) => p.type === 'twilio');
    expect(twilio?.receiptUrl).toBe(listed.body.providers[0]?.receiptUrl);
    for (const p of published) {
      if (['twilio', 'bird', 'messagemedia', 'tnz'].includes(p.type)) {
        expect(p.receiptUrl).toMatch(
          new RegExp(`^${t.apiUrl}/sms-receipts/${p.type}/${t.tenant.tenantId}/[\\w-]{32}$`),
        );
        expect(p.receiptHelp).toMatch(/\w/);
      } else {
        expect(p.receiptUrl, p.type).toBeNull();
      }
    }
  });

  for (const [type, { valid: config, variants }] of Object.entries(CASES)) {
    it(`${type}: the schema and PUT accept and refuse the same configs`, async () => {
      const cases: [string, Record<string, unknown>][] = [
        ['the valid config', config],
        ...variants.map(([name, change]) => [name, withVariant(config, change)] as [string, Record<string, unknown>]),
      ];
      let refused = 0;
      for (const [name, candidate] of cases) {
        // A fresh tenant each time: nothing stored, so no secret is kept and PUT judges the config alone.
        const { tenant } = await t.newTenant();
        const own = management(t.apiUrl, tenant.managementSecretKey, '');
        const put = await own.request<{ errorCode?: string }>('PUT', '/sms-providers', { providers: [candidate] });
        expect([200, 400], name).toContain(put.status);
        expect(await validator.valid(type, candidate), `${type}: ${name} (PUT ${put.status})`).toBe(put.status === 200);
        if (put.status === 400) {
          refused += 1;
          expect(put.body.errorCode).toBe('invalid_request');
        }
      }
      expect(await validator.valid(type, config)).toBe(true);
      if (variants.length > 0) expect(refused).toBeGreaterThan(0);
    });
  }
});

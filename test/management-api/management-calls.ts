/**
 * What the SMS authenticator configuration and sms-defences tests share: this run's credentials, the
 * create body of each provider, and Management API calls as a tenant that check every answer for secrets.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { TestServer } from '../helpers/server.js';

interface Response {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read fields of several answer shapes directly.
  body: any;
}
type Call = (method: string, path: string, body?: unknown) => Promise<Response>;

export const SMS = '/authenticator-configurations/sms';
const hex = (bytes: number) => randomBytes(bytes).toString('hex');
export const w = (rateLimit: number, windowInMinutes = 5) => ({ rateLimit, windowInMinutes });

/** Secrets of this run: no answer may contain one. */
export const secrets = {
  twilio: `tw${hex(15)}`,
  twilioRotated: `tw${hex(15)}`,
  bird: `bird-${hex(16)}`,
  messageMediaSecret: `mm-${hex(16)}`,
  modica: `modica-${hex(12)}`,
  tnz: `tnz.${hex(16)}`,
};
/** Sigil's provider list shows MessageMedia's API key (its Basic user name); Authsignal's resource never does. */
export const messageMediaKey = `mmkey${hex(12)}`;

export const accountSid = `AC${hex(16)}`;
export const messagingServiceSid = `MG${hex(16)}`;
const bird = { workspaceId: randomUUID(), channelId: randomUUID() };
export const webhookUrl = 'https://hooks.example.com/sigil-sms';

/** Each provider: the create body, what the answer echoes, and the provider-list entry it becomes. */
export const PROVIDERS = {
  TWILIO: {
    body: { twilioCredentials: { accountSid, authToken: secrets.twilio, messagingServiceSid } },
    echo: { twilioCredentials: { accountSid, messagingServiceSid } },
    entry: { type: 'twilio', accountSid, messagingServiceSid },
  },
  BIRD: {
    body: { birdSmsCredentials: { accessKey: secrets.bird, ...bird } },
    echo: { birdSmsCredentials: bird },
    entry: { type: 'bird', ...bird },
  },
  MESSAGE_MEDIA: {
    body: {
      messageMediaCredentials: {
        apiKey: messageMediaKey,
        apiSecret: secrets.messageMediaSecret,
        sourceNumber: 'Sigil',
      },
    },
    echo: { messageMediaCredentials: { sourceNumber: 'Sigil' } },
    entry: { type: 'messagemedia', sourceNumber: 'Sigil' },
  },
  MODICA_GROUP: {
    body: { modicaGroupCredentials: { username: 'sigil-app', password: secrets.modica } },
    echo: { modicaGroupCredentials: { username: 'sigil-app' } },
    entry: { type: 'modica', applicationName: 'sigil-app' },
  },
  TNZ: { body: { tnzCredentials: { apiKey: secrets.tnz } }, echo: { tnzCredentials: {} }, entry: { type: 'tnz' } },
  WEBHOOK: { body: { webhookUrl }, echo: { webhookUrl }, entry: { type: 'webhook', url: webhookUrl } },
} as const;
export const twilioCreate = { smsProvider: 'TWILIO', ...PROVIDERS.TWILIO.body };

/** The helpers over the server that `server` returns once it is started (in `beforeAll`). */
export const managementCalls = (server: () => TestServer) => {
  /** A Management API call as a tenant; every answer is checked for secrets. */
  const as =
    (key: string): Call =>
    async (method, path, body) => {
      const res = await server().fetch(`/management${path}`, {
        method,
        key,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      for (const secret of Object.values(secrets)) expect(text, `${method} ${path}`).not.toContain(secret);
      if (!path.startsWith('/sms-providers')) expect(text).not.toContain(messageMediaKey);
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    };
  const tenant = async () => {
    const { tenant } = await server().newTenant();
    return { call: as(tenant.managementSecretKey), tenantId: tenant.tenantId };
  };
  const providerList = async (call: Call) => (await call('GET', '/sms-providers')).body.providers;
  /** Each body is refused with a 400 whose description matches. */
  const refuses = async (call: Call, method: string, path: string, cases: [unknown, RegExp][]) => {
    for (const [body, description] of cases) {
      const res = await call(method, path, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body).toMatchObject({
        errorCode: 'invalid_request',
        errorDescription: expect.stringMatching(description),
      });
    }
  };
  return { as, tenant, providerList, refuses };
};

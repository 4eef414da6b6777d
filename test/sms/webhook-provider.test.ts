import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Authsignal, AuthsignalError, Webhook } from '@authsignal/node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { literalAddressRefusal, type NetworkPolicy, refusalReason } from '../../src/lib/outbound-guard.js';
import { signatureV2 } from '../../src/lib/webhook-signature.js';
import { databases } from '../helpers/databases.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';

interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The body exactly as it arrived: the signature covers these bytes. */
  raw: string;
}

/** A stand-in for the customer's endpoint on 127.0.0.1 that records every request. */
interface Receiver {
  port: number;
  url(path?: string): string;
  requests: Received[];
  /** How to answer; the default answers 200. A function that never ends `res` leaves the request hanging. */
  reply: (res: ServerResponse) => void;
  close(): Promise<void>;
}

const answer200 = (res: ServerResponse) => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');

async function startReceiver(): Promise<Receiver> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      receiver.requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        raw: Buffer.concat(chunks).toString('utf8'),
      });
      receiver.reply(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const receiver: Receiver = {
    port,
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    requests: [],
    reply: answer200,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return receiver;
}

const managementAuth = (key: string) => ({ authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` });

/** A Management API request for the SMS provider list, with the management key unless told otherwise. */
function smsProviders(t: TestServer, method: 'GET' | 'PUT', body?: unknown, key = t.tenant.managementSecretKey) {
  return fetch(`${t.apiUrl}/management/sms-providers`, {
    method,
    headers: { ...managementAuth(key), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function configureWebhook(t: TestServer, url: string): Promise<void> {
  const res = await smsProviders(t, 'PUT', { providers: [{ type: 'webhook', url }] });
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ providers: [{ type: 'webhook', url, id: expect.any(String) }] });
}

async function challengeRow(t: TestServer, to: string) {
  return t.server.deps.db
    .selectFrom('challenges')
    .selectAll()
    .where('tenant_id', '=', t.tenant.tenantId)
    .where('phone_number', '=', to)
    .executeTakeFirstOrThrow();
}

/** The sms.created event of a received request, checked with the SDK the customer would use. */
function constructEvent(t: TestServer, request: Received) {
  const signature = request.headers['x-signature-v2'];
  expect(typeof signature).toBe('string');
  const sdk = new Authsignal({ apiSecretKey: t.tenant.apiSecretKey, apiUrl: t.apiUrl, retries: 0 });
  return sdk.webhook.constructEvent(request.raw, signature as string);
}

describe.each(databases)('webhook SMS provider with the official node SDK ($name)', (db) => {
  let t: TestServer;
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
    t = await startTestServer(db, { SIGIL_WEBHOOK_ALLOW_LOOPBACK: 'true' });
    await configureWebhook(t, receiver.url());
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });
  beforeEach(() => {
    receiver.requests = [];
    receiver.reply = answer200;
  });

  it('returns the configured webhook from GET /management/sms-providers', async () => {
    const res = await smsProviders(t, 'GET');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ providers: [{ type: 'webhook', url: receiver.url(), id: expect.any(String) }] });
  });

  it('masks credentials in the URL when showing the configuration', async () => {
    const secretUrl = 'https://user:pass@sms.example.com/hook?token=s3cret&region=nz';
    const put = await smsProviders(t, 'PUT', { providers: [{ type: 'webhook', url: secretUrl }] });
    const shown = JSON.stringify(await put.json());
    const got = JSON.stringify(await (await smsProviders(t, 'GET')).json());
    for (const body of [shown, got]) {
      expect(body).toContain('sms.example.com/hook');
      expect(body).not.toMatch(/s3cret|pass@|user:/);
    }
    await configureWebhook(t, receiver.url());
  });

  it('posts a signed sms.created event that constructEvent accepts, and its code verifies', async () => {
    const to = phone();
    const started = await t.sdk.challenge({
      verificationMethod: 'SMS',
      action: 'signInWithSms',
      phoneNumber: to,
      userId: 'user-webhook-1',
    });

    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests as [Received];
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/hook');
    expect(request.headers['content-type']).toBe('application/json');
    // One active API key, so one v2 signature; the timestamp is now.
    const header = request.headers['x-signature-v2'] as string;
    const [, t0] = /^t=(\d+),v2=[A-Za-z0-9+/]+$/.exec(header) ?? [];
    expect(Math.abs(Number(t0) - Date.now() / 1000)).toBeLessThan(60);

    const event = constructEvent(t, request);
    expect(event).toMatchObject({
      version: 1,
      type: 'sms.created',
      source: 'https://authsignal.com',
      tenantId: t.tenant.tenantId,
    });
    expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Math.abs(Date.parse(event.time) - Date.now())).toBeLessThan(60_000);
    expect(event.data).toEqual({
      to,
      code: expect.stringMatching(/^\d{6}$/),
      userId: 'user-webhook-1',
      idempotencyKey: started.idempotencyKey,
      actionCode: 'signInWithSms',
    });

    // The code went to the webhook only, not to the dev inbox.
    await expect(t.lastCode(to)).rejects.toThrow(/No code was sent/);

    const verified = await t.sdk.verify({
      challengeId: started.challengeId,
      verificationCode: event.data.code as string,
    });
    expect(verified).toEqual({ isVerified: true, phoneNumber: to, verificationMethod: 'SMS' });
  });

  it('leaves userId out of the event when the challenge has none', async () => {
    const to = phone();
    await t.sdk.challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: to });
    const event = constructEvent(t, receiver.requests[0] as Received);
    expect(event.data).not.toHaveProperty('userId');
    expect(event.data).toMatchObject({ to, actionCode: 'signIn' });
  });

  it("signs with this tenant's key only: another tenant's key fails constructEvent", async () => {
    const to = phone();
    await t.sdk.challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: to });
    const request = receiver.requests[0] as Received;
    const { tenant: other } = await t.newTenant('other');
    const otherSdk = new Authsignal({ apiSecretKey: other.apiSecretKey, apiUrl: t.apiUrl, retries: 0 });
    expect(() => otherSdk.webhook.constructEvent(request.raw, request.headers['x-signature-v2'] as string)).toThrow(
      'Signature mismatch.',
    );
    // A single changed byte of the body breaks the signature too.
    const tampered = request.raw.replace(to, phone());
    expect(() => constructEvent(t, { ...request, raw: tampered })).toThrow('Signature mismatch.');
  });

  it('refuses the API secret key on management routes and the management key on API routes', async () => {
    for (const method of ['GET', 'PUT'] as const) {
      const res = await smsProviders(
        t,
        method,
        method === 'PUT' ? { providers: [{ type: 'dev' }] } : undefined,
        t.tenant.apiSecretKey,
      );
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: 'unauthorized', errorCode: 'unauthorized' });
    }
    // The refused PUT changed nothing.
    expect(await (await smsProviders(t, 'GET')).json()).toEqual({
      providers: [{ type: 'webhook', url: receiver.url(), id: expect.any(String) }],
    });

    const res = await t.fetch('/users/someone', { key: t.tenant.managementSecretKey });
    expect(res.status).toBe(401);
    const withManagementKey = new Authsignal({
      apiSecretKey: t.tenant.managementSecretKey,
      apiUrl: t.apiUrl,
      retries: 0,
    });
    const err = await withManagementKey
      .challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: phone() })
      .catch((e) => e);
    expect(err).toBeInstanceOf(AuthsignalError);
    expect(err).toMatchObject({ statusCode: 401, errorCode: 'unauthorized' });
    expect(receiver.requests).toHaveLength(0);
  });

  it('rejects a bad provider type or webhook URL with 400 invalid_request naming the field', async () => {
    const cases: [unknown[], RegExp][] = [
      [[{ type: 'carrier-pigeon' }], /^providers\[0\]\.type must be one of: .*webhook/],
      [[{ type: 'webhook', url: 'not a url' }], /^providers\[0\]: webhook\.url/],
      // Not at position 0, where the stored webhook's URL would be kept (left blank to keep).
      [[{ type: 'dev' }, { type: 'webhook' }], /^providers\[1\]: webhook\.url is required/],
      [[{ type: 'webhook', url: 'ftp://example.com/hook' }], /^providers\[0\]: webhook\.url must use https/],
      [[{ type: 'dev' }, { type: 'webhook', url: 42 }], /^providers\[1\]: webhook\.url/],
    ];
    for (const [providers, description] of cases) {
      const res = await smsProviders(t, 'PUT', { providers });
      expect(res.status, JSON.stringify(providers)).toBe(400);
      const body = (await res.json()) as { error: string; errorDescription: string };
      expect(body.error).toBe('invalid_request');
      expect(body.errorDescription).toMatch(description);
    }
    // None of them replaced the working configuration.
    expect(await (await smsProviders(t, 'GET')).json()).toEqual({
      providers: [{ type: 'webhook', url: receiver.url(), id: expect.any(String) }],
    });
  });

  it('stores the provider list encrypted, without the URL in plain text', async () => {
    const row = await t.server.deps.db
      .selectFrom('sms_provider_configs')
      .selectAll()
      .where('tenant_id', '=', t.tenant.tenantId)
      .executeTakeFirstOrThrow();
    expect(row.providers_enc).toMatch(/^v1\./);
    for (const plain of [receiver.url(), '127.0.0.1', `${receiver.port}`, '/hook', 'webhook']) {
      expect(row.providers_enc).not.toContain(plain);
    }
  });

  it('fails the challenge with 502 sms_delivery_failed when the webhook answers 500, for good', async () => {
    receiver.reply = (res) => res.writeHead(500).end('boom');
    const to = phone();
    const err = await t.sdk.challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: to }).catch((e) => e);
    expect(err).toBeInstanceOf(AuthsignalError);
    expect(err).toMatchObject({ statusCode: 502, errorCode: 'sms_delivery_failed' });
    expect(err.errorDescription).toMatch(/HTTP 500/);

    // A 500 is transient: retried (three tries by default), each time with the same code.
    expect(receiver.requests).toHaveLength(3);
    const codes = receiver.requests.map((r) => constructEvent(t, r as Received).data.code);
    expect(new Set(codes).size).toBe(1);
    const row = await challengeRow(t, to);
    expect(row.failed_reason).toBeTruthy();
    const sends = await t.server.deps.db
      .selectFrom('sms_sends')
      .selectAll()
      .where('challenge_id', '=', row.id)
      .orderBy('attempt')
      .execute();
    expect(sends).toMatchObject(
      [1, 2, 3].map((attempt) => ({ provider: 'webhook', attempt, outcome: 'retryable', error: 'http_500' })),
    );

    // The endpoint saw the code before it failed; that code must still never verify.
    const code = constructEvent(t, receiver.requests[0] as Received).data.code as string;
    expect(await t.sdk.verify({ challengeId: row.id, verificationCode: code })).toEqual({
      isVerified: false,
      failureReason: 'CODE_INVALID_OR_EXPIRED',
    });
  });

  it('fails the challenge when the webhook answers 4xx', async () => {
    receiver.reply = (res) => res.writeHead(403).end();
    const to = phone();
    const err = await t.sdk.challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: to }).catch((e) => e);
    expect(err).toMatchObject({ statusCode: 502, errorCode: 'sms_delivery_failed' });
    expect(err.errorDescription).toMatch(/HTTP 403/);
    expect((await challengeRow(t, to)).failed_reason).toBeTruthy();
  });
});

describe.each(databases)('webhook SMS provider timeout ($name)', (db) => {
  let t: TestServer;
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
    receiver.reply = () => {}; // never answers
    t = await startTestServer(db, { SIGIL_WEBHOOK_ALLOW_LOOPBACK: 'true', SIGIL_WEBHOOK_TIMEOUT_MS: '300' });
    await configureWebhook(t, receiver.url());
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('fails with 502 within the timeout when the webhook never answers', async () => {
    const to = phone();
    const started = Date.now();
    const err = await t.sdk.challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: to }).catch((e) => e);
    const elapsed = Date.now() - started;
    expect(err).toBeInstanceOf(AuthsignalError);
    expect(err).toMatchObject({ statusCode: 502, errorCode: 'sms_delivery_failed' });
    expect(err.errorDescription).toMatch(/did not answer in time/);
    expect(receiver.requests).toHaveLength(3); // timeouts are retried
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(5_000); // one default timeout is 5 s
    expect((await challengeRow(t, to)).failed_reason).toBeTruthy();
  });
});

describe.each(databases)('webhook SMS provider with loopback refused ($name)', (db) => {
  let t: TestServer;
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
    t = await startTestServer(db, { SIGIL_WEBHOOK_ALLOW_LOOPBACK: 'false' });
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  for (const host of ['127.0.0.1', 'localhost', '[::1]']) {
    it(`refuses a webhook at http://${host}:PORT/ when sending, without contacting it`, async () => {
      receiver.requests = [];
      await configureWebhook(t, `http://${host}:${receiver.port}/`);
      const to = phone();
      const err = await t.sdk
        .challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: to })
        .catch((e) => e);
      expect(err).toBeInstanceOf(AuthsignalError);
      expect(err).toMatchObject({ statusCode: 502, errorCode: 'sms_delivery_failed' });
      expect(err.errorDescription).toMatch(/loopback/);
      expect(receiver.requests).toHaveLength(0);
      expect((await challengeRow(t, to)).failed_reason).toBeTruthy();
    });
  }
});

describe('X-Signature-V2 (signatureV2)', () => {
  const body =
    '{"version":1,"id":"e1","source":"https://authsignal.com","time":"2024-01-01T00:00:00.000Z","tenantId":"t1","type":"sms.created","data":{"to":"+6421000000","code":"123456","userId":"u1","idempotencyKey":"ik1","actionCode":"signIn"}}';

  it('matches the test vector of docs/wire-protocol.md §7.2, and the SDK accepts it', () => {
    const header = signatureV2(body, ['test_secret_key'], 1700000000);
    expect(header).toBe('t=1700000000,v2=6ruYuu6sAoU8rnjRLevBAT+swQzKT+YSI4ydIVJoz0k');
    // tolerance 0 turns the SDK's timestamp check off, since the vector's t is in the past.
    expect(new Webhook('test_secret_key').constructEvent(body, header, 0)).toEqual(JSON.parse(body));
    expect(() => new Webhook('another_key').constructEvent(body, header, 0)).toThrow('Signature mismatch.');
  });

  it('gives one v2 entry per active key, each accepted by the SDK with its own key', () => {
    const now = Math.floor(Date.now() / 1000);
    const header = signatureV2(body, ['key_new', 'key_old'], now);
    expect(header).toMatch(new RegExp(`^t=${now},v2=[A-Za-z0-9+/]{43},v2=[A-Za-z0-9+/]{43}$`));
    for (const key of ['key_new', 'key_old']) {
      expect(new Webhook(key).constructEvent(body, header)).toMatchObject({ type: 'sms.created' });
    }
    expect(() => new Webhook('key_other').constructEvent(body, header)).toThrow('Signature mismatch.');
  });
});

describe('outbound address guard (refusalReason)', () => {
  const strict: NetworkPolicy = { allowLoopback: false, allowPrivateNetworks: false };
  const loopbackAllowed: NetworkPolicy = { allowLoopback: true, allowPrivateNetworks: false };
  const open: NetworkPolicy = { allowLoopback: true, allowPrivateNetworks: true };
  // ::ffff:7f00:1 is how the URL parser writes [::ffff:127.0.0.1].
  const loopbacks = ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1', '::ffff:7f00:1'];
  const privates = [
    '10.1.2.3',
    '169.254.169.254',
    '192.168.1.1',
    '172.16.0.1',
    'fd00::1',
    'fe80::1',
    '::ffff:a9fe:a9fe',
    '64:ff9b::a9fe:a9fe', // NAT64 form of 169.254.169.254
    '2002:a9fe:a9fe::1', // 6to4 form of the same
  ];
  const publics = ['8.8.8.8', '2001:4860::8888', '1.1.1.1'];

  it.each(loopbacks)('refuses loopback %s unless loopback is allowed', (address) => {
    expect(refusalReason(address, strict)).toMatch(/loopback.*SIGIL_WEBHOOK_ALLOW_LOOPBACK/);
    expect(refusalReason(address, loopbackAllowed)).toBeUndefined();
    expect(refusalReason(address, open)).toBeUndefined();
  });

  it.each(privates)('refuses private or reserved %s unless private networks are allowed', (address) => {
    expect(refusalReason(address, strict)).toMatch(/private or reserved.*SIGIL_WEBHOOK_ALLOW_PRIVATE_NETWORKS/);
    expect(refusalReason(address, loopbackAllowed)).toMatch(/private or reserved/);
    expect(refusalReason(address, open)).toBeUndefined();
  });

  it.each(publics)('allows public %s under every policy', (address) => {
    for (const policy of [strict, loopbackAllowed, open]) expect(refusalReason(address, policy)).toBeUndefined();
  });

  it('checks IP-literal URLs in every form the URL parser accepts, and leaves hostnames to the DNS guard', () => {
    for (const url of [
      'http://127.1/',
      'http://2130706433/',
      'http://0x7f.0.0.1/',
      'http://[::ffff:127.0.0.1]/',
      'http://[::1]:8080/',
    ]) {
      expect(literalAddressRefusal(new URL(url), strict), url).toMatch(/loopback/);
    }
    expect(literalAddressRefusal(new URL('http://[::ffff:169.254.169.254]/'), strict)).toMatch(/private/);
    expect(literalAddressRefusal(new URL('https://8.8.8.8/hook'), strict)).toBeUndefined();
    expect(literalAddressRefusal(new URL('http://localhost/'), strict)).toBeUndefined();
  });
});

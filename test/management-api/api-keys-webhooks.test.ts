import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Authsignal } from '@authsignal/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases } from '../helpers/databases.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';
import { type KeyView, keyCalls } from './key-calls.js';

/** The customer's webhook endpoint on 127.0.0.1: records each request's headers and raw body. */
async function startReceiver() {
  const requests: { headers: IncomingHttpHeaders; raw: string }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({ headers: req.headers, raw: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.each(databases)('webhook signing with several server keys ($name)', (db) => {
  let t: TestServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const api = keyCalls(() => t);
  beforeAll(async () => {
    receiver = await startReceiver();
    // No auth cache: a revocation made through the API applies to the very next send.
    t = await startTestServer(db, { SIGIL_WEBHOOK_ALLOW_LOOPBACK: 'true', SIGIL_AUTH_CACHE_TTL_MS: '0' });
    api.remember(t.tenant.apiSecretKey, t.tenant.managementSecretKey);
    const put = await api.call(t.tenant.managementSecretKey, 'PUT', '/sms-providers', {
      providers: [{ type: 'webhook', url: receiver.url }],
    });
    expect(put.status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  /** Sends a code through the webhook provider and returns the request the endpoint received. */
  async function sendOne(apiSecretKey: string) {
    const sdk = new Authsignal({ apiSecretKey, apiUrl: t.apiUrl, retries: 0 });
    const count = receiver.requests.length;
    await sdk.challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: phone() });
    expect(receiver.requests).toHaveLength(count + 1);
    const request = receiver.requests[count] as (typeof receiver.requests)[number];
    return { raw: request.raw, signature: request.headers['x-signature-v2'] as string };
  }
  /** Whether the customer's endpoint, holding only `secret`, accepts the event (the SDK's own check). */
  const accepts = (secret: string, event: { raw: string; signature: string }) => {
    try {
      new Authsignal({ apiSecretKey: secret, apiUrl: t.apiUrl }).webhook.constructEvent(event.raw, event.signature);
      return true;
    } catch {
      return false;
    }
  };

  it('signs each event with every live server key, grace periods included, and never a revoked one', async () => {
    const mk = t.tenant.managementSecretKey;
    const first = t.tenant.apiSecretKey;
    const second = await api.create(mk, { kind: 'server', name: 'second' });
    const firstKey = (await api.list(mk)).find((k) => k.kind === 'server' && k.name === null) as KeyView;
    const rotated = await api.rotate(mk, firstKey.keyId, { gracePeriodMinutes: 60 });

    const during = await sendOne(rotated.secret);
    expect(during.signature.split(',').filter((part) => part.startsWith('v2='))).toHaveLength(3);
    for (const secret of [first, second.secret, rotated.secret]) expect(accepts(secret, during)).toBe(true);

    expect((await api.call(mk, 'DELETE', `/api-keys/${firstKey.keyId}`)).status).toBe(200);
    expect((await api.call(mk, 'DELETE', `/api-keys/${second.keyId}`)).status).toBe(200);
    const after = await sendOne(rotated.secret);
    expect(after.signature.split(',').filter((part) => part.startsWith('v2='))).toHaveLength(1);
    expect(accepts(rotated.secret, after)).toBe(true);
    expect(accepts(first, after)).toBe(false);
    expect(accepts(second.secret, after)).toBe(false);
  });
});

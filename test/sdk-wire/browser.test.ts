import { randomUUID } from 'node:crypto';
import { VerificationMethod } from '@authsignal/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases } from '../helpers/databases.js';
import { management } from '../helpers/management.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';
import { wrongCode } from './mobile.js';
import { basicBrowser, type Exchange, expectError, expectOk, type Header, Wire, withLength } from './replay.js';

/**
 * @authsignal/browser 1.21.1 (and React 0.3.0, and the web builds of React Native and Flutter, which
 * use it): fetch with `Content-Type: application/json` on every request, GET included, and no body
 * at all on `sms.challenge()` (fetch then sends `Content-Length: 0`, or no length from some
 * engines); the tenant Basic form is base64 of the tenant ID without a colon. The SDK never reads
 * the status: a body with an `error` key is an error. The SDK itself runs in Chromium in
 * test/client-api/browser-sdk.test.ts; these are its requests replayed byte for byte.
 */
describe.each(databases)('browser SDK SMS over the wire ($name)', (db) => {
  let t: TestServer;
  let wire: Wire;
  const origin = 'https://shop.example';
  beforeAll(async () => {
    t = await startTestServer(db);
    wire = new Wire(t.server.url);
    await management(t.apiUrl, t.tenant.managementSecretKey).createConfig('webSignIn', 'CHALLENGE');
  });
  afterAll(async () => {
    wire.close();
    await t.close();
  });

  const browserHeaders = (authorization: string): Header[] => [
    ['Accept', '*/*'],
    ['Authorization', authorization],
    ['Content-Type', 'application/json'],
    ['Origin', origin],
    ['Referer', `${origin}/`],
    [
      'User-Agent',
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    ],
  ];
  const post = (path: string, token: string, body?: unknown, framing?: Header[]): Promise<Exchange> => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const headers = browserHeaders(`Bearer ${token}`);
    return wire.send({
      method: 'POST',
      path: `/v1/client${path}`,
      headers: text === undefined ? [...headers, ...(framing ?? [])] : withLength(headers, text),
      body: text,
    });
  };

  for (const framing of [
    { name: 'Content-Length: 0', headers: [['Content-Length', '0']] as Header[] },
    { name: 'no length', headers: [] as Header[] },
  ]) {
    it(`signs in with a body-less sms.challenge labelled application/json (${framing.name})`, async () => {
      const userId = `web-${randomUUID()}`;
      const to = phone();
      await t.sdk.enrollVerifiedAuthenticator({
        userId,
        attributes: { verificationMethod: VerificationMethod.SMS, phoneNumber: to },
      });
      const { token } = await t.sdk.track({ userId, action: 'webSignIn' });
      const started = await post('/challenge/sms', token, undefined, framing.headers);
      expectOk(started);
      expect(started.headers['access-control-allow-origin'], started.transcript).toBe(origin);
      const code = await t.lastCode(to);
      const wrong = await post('/verify/sms', token, { verificationCode: wrongCode(code) });
      expect(wrong.json, wrong.transcript).toEqual({ isVerified: false, failureReason: 'CODE_INVALID_OR_EXPIRED' });
      const right = await post('/verify/sms', token, { verificationCode: code });
      expectOk(right);
      expect(right.json.accessToken, right.transcript).toMatch(/^ey/);
      expect((await t.sdk.validateChallenge({ token: right.json.accessToken, action: 'webSignIn' })).isValid).toBe(
        true,
      );
    });
  }

  it('enrolls with sms.enroll and lists authenticators with a GET that carries Content-Type', async () => {
    const userId = `web-${randomUUID()}`;
    const to = phone();
    const { token } = await t.sdk.track({ userId, action: 'webSignIn' });
    const enrolled = await post('/user-authenticators/sms', token, { phoneNumber: to });
    expectOk(enrolled);
    const verified = await post('/verify/sms', token, { verificationCode: await t.lastCode(to) });
    expectOk(verified);
    const listed = await wire.send({
      method: 'GET',
      path: '/v1/client/user-authenticators',
      headers: browserHeaders(`Bearer ${verified.json.accessToken}`),
    });
    expectOk(listed);
    expect(listed.json, listed.transcript).toMatchObject([{ verificationMethod: 'SMS', phoneNumber: to }]);
  });

  it('accepts the tenant Basic form without a colon at the auth layer', async () => {
    const res = await wire.send({
      method: 'GET',
      path: '/v1/client/user-authenticators',
      headers: browserHeaders(basicBrowser(t.tenant.tenantId)),
    });
    expectError(res, 401, 'unauthorized');
    expect(res.json.errorDescription, res.transcript).toMatch(/needs a Bearer token/);
  });
});

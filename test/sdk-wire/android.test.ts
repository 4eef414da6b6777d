import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases } from '../helpers/databases.js';
import { management } from '../helpers/management.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';
import { MobileClient, mobileSuite, sdks, wrongCode } from './mobile.js';
import { expectOk, Wire } from './replay.js';

/**
 * authsignal-android 4.3.0 (Ktor 3 with the Android engine, kotlinx.serialization with
 * `prettyPrint = true`): pretty-printed JSON with a 4-space indent, Ktor's Accept headers, and the
 * body-less `sms.challenge()` that HttpURLConnection labels `application/x-www-form-urlencoded` with
 * `Content-Length: 0`. The SDK accepts only status 200 with an `application/json` response and reads
 * errors as `{error (required), errorCode?, errorDescription?}`.
 */
mobileSuite(sdks.android);

describe.each(databases)('Android JSON with a charset parameter ($name)', (db) => {
  let t: TestServer;
  let wire: Wire;
  beforeAll(async () => {
    t = await startTestServer(db);
    wire = new Wire(t.server.url);
    await management(t.apiUrl, t.tenant.managementSecretKey).createConfig('charset', 'CHALLENGE');
  });
  afterAll(async () => {
    wire.close();
    await t.close();
  });

  // Ktor's content negotiation may label the body `application/json; charset=UTF-8`.
  it('enrolls and verifies with `Content-Type: application/json; charset=UTF-8` and pretty JSON', async () => {
    const app = new MobileClient(
      wire,
      { ...sdks.android, jsonType: 'application/json; charset=UTF-8' },
      t.tenant.tenantId,
    );
    const userId = `u-${randomUUID()}`;
    const to = phone();
    const { token } = await t.sdk.track({ userId, action: 'charset' });
    const enrolled = await app.enroll(token, to);
    expectOk(enrolled);
    expect(enrolled.transcript).toContain(`{\n    "phoneNumber": "${to}"\n}`);
    const code = await t.lastCode(to);
    expectOk(await app.verify(token, wrongCode(code)));
    const verified = await app.verify(token, code);
    expectOk(verified);
    expect(verified.json, verified.transcript).toMatchObject({ isVerified: true, accessToken: expect.any(String) });
    expect(await t.sdk.validateChallenge({ token: verified.json.accessToken, action: 'charset' })).toMatchObject({
      isValid: true,
      userId,
    });
  });
});

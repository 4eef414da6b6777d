import { randomUUID } from 'node:crypto';
import { VerificationMethod } from '@authsignal/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases } from '../helpers/databases.js';
import { management } from '../helpers/management.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';
import { MobileClient, mobileSuite, sdks } from './mobile.js';
import { expectOk, Wire } from './replay.js';

/**
 * authsignal-ios 2.13.0 (`AuthsignalSMS`, `SMSAPIClient`, `BaseAPIClient`): compact JSON from
 * JSONEncoder, the SDK's metadata headers and URLSession's own, and `sms.challenge()` as a POST with
 * no Content-Type and no body. The SDK accepts only status 200 and decodes `userAuthenticatorId`,
 * `challengeId` and `isVerified` as required fields; any other status is read as
 * `{error, errorCode, errorDescription}`.
 */
mobileSuite(sdks.ios);

describe.each(databases)('iOS framing edge cases ($name)', (db) => {
  let t: TestServer;
  let wire: Wire;
  let app: MobileClient;
  beforeAll(async () => {
    t = await startTestServer(db);
    wire = new Wire(t.server.url);
    app = new MobileClient(wire, sdks.ios, t.tenant.tenantId);
    await management(t.apiUrl, t.tenant.managementSecretKey).createConfig('edge', 'CHALLENGE');
  });
  afterAll(async () => {
    wire.close();
    await t.close();
  });

  // No SDK sends this; it shows the empty-body rule does not rest on Content-Length alone.
  it('reads an empty chunked body without Content-Type as {} too', async () => {
    const userId = `u-${randomUUID()}`;
    await t.sdk.enrollVerifiedAuthenticator({
      userId,
      attributes: { verificationMethod: VerificationMethod.SMS, phoneNumber: phone() },
    });
    const { token } = await t.sdk.track({ userId, action: 'edge' });
    const res = await app.challenge(token, [['Transfer-Encoding', 'chunked']]);
    expectOk(res);
    expect(res.json, res.transcript).toEqual({ challengeId: expect.any(String) });
  });
});

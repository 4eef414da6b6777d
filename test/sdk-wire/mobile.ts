import { randomUUID } from 'node:crypto';
import { VerificationMethod } from '@authsignal/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import { databases } from '../helpers/databases.js';
import { management } from '../helpers/management.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';
import {
  basicAndroid,
  basicIos,
  type Exchange,
  expectError,
  expectOk,
  type Header,
  json,
  Wire,
  withLength,
} from './replay.js';

/**
 * The mobile SDKs' SMS calls (authsignal-ios 2.13.0, authsignal-android 4.3.0, and the React Native
 * 3.3.1 and Flutter 3.1.0 wrappers, which call the same native code with their own metadata headers),
 * replayed as each platform puts them on the wire.
 */
export interface MobileSdk {
  /** For test names: `iOS 2.13.0`, `React Native 3.3.1 on Android 4.3.0`. */
  label: string;
  platform: 'ios' | 'android';
  /** The headers every request carries besides Authorization, Content-Type and framing. */
  metadata(tenantId: string): Header[];
  /** How the platform serialises a request body: compact (JSONEncoder) or pretty (kotlinx prettyPrint). */
  json(value: unknown): string;
  /** The Content-Type of a JSON body. */
  jsonType: string;
  /** The tenant Basic form (not used by SMS, sent by the generic challenge and passkey calls). */
  basic(tenantId: string): string;
  /** The body-less `sms.challenge()` POST, in every framing this platform is seen to produce. */
  emptyPosts: { name: string; headers: Header[] }[];
}

const IOS_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X)';
const ANDROID_UA = 'Mozilla/5.0 (Linux; Android 14; Google Pixel 8)';

/** URLSession's own headers on every request. */
const urlSession: Header[] = [
  ['Accept', '*/*'],
  ['Accept-Language', 'en-NZ,en;q=0.9'],
  ['Accept-Encoding', 'gzip, deflate, br'],
];

/** What Ktor's Android engine and HttpURLConnection add to every request. */
const ktorAndroid: Header[] = [
  ['Accept', 'application/json'],
  ['Accept-Charset', 'UTF-8'],
  ['Accept-Encoding', 'gzip'],
];

interface Wrapper {
  sdk: string;
  version: string;
  userAgentToken: string;
}

function iosSdk(nativeVersion: string, wrapper?: Wrapper): MobileSdk {
  const product = `AuthsignalIOSSDK/${nativeVersion}`;
  return {
    label: wrapper ? `${wrapper.userAgentToken}/${wrapper.version} on iOS ${nativeVersion}` : `iOS ${nativeVersion}`,
    platform: 'ios',
    metadata: (tenantId) => [
      ['User-Agent', `${IOS_UA} ${wrapper ? `${wrapper.userAgentToken}/${wrapper.version} ` : ''}${product}`],
      ['X-Authsignal-SDK', wrapper?.sdk ?? 'ios'],
      ['X-Authsignal-Version', wrapper?.version ?? nativeVersion],
      ['X-Authsignal-Tenant-ID', tenantId],
      ...(wrapper
        ? ([
            ['X-Authsignal-Native-SDK', 'ios'],
            ['X-Authsignal-Native-Version', nativeVersion],
          ] as Header[])
        : []),
      ...urlSession,
    ],
    json: json.compact,
    jsonType: 'application/json',
    basic: basicIos,
    // SMSAPIClient.challengeSMS uses the postRequest overload without a body and sets no Content-Type.
    // URLSession sends the empty POST with `Content-Length: 0` or with no length at all.
    emptyPosts: [
      { name: 'no Content-Type, no Content-Length', headers: [] },
      { name: 'no Content-Type, Content-Length: 0', headers: [['Content-Length', '0']] },
    ],
  };
}

function androidSdk(nativeVersion: string, wrapper?: Wrapper): MobileSdk {
  const product = `AuthsignalAndroidSDK/${nativeVersion}`;
  return {
    label: wrapper
      ? `${wrapper.userAgentToken}/${wrapper.version} on Android ${nativeVersion}`
      : `Android ${nativeVersion}`,
    platform: 'android',
    metadata: (tenantId) => [
      ...ktorAndroid,
      ['User-Agent', `${ANDROID_UA} ${wrapper ? `${wrapper.userAgentToken}/${wrapper.version} ` : ''}${product}`],
      ['X-Authsignal-SDK', wrapper?.sdk ?? 'android'],
      ['X-Authsignal-Version', wrapper?.version ?? nativeVersion],
      ['X-Authsignal-Tenant-ID', tenantId],
      ...(wrapper
        ? ([
            ['X-Authsignal-Native-SDK', 'android'],
            ['X-Authsignal-Native-Version', nativeVersion],
          ] as Header[])
        : []),
    ],
    json: json.pretty,
    jsonType: 'application/json',
    basic: basicAndroid,
    // SMSAPI.challenge posts with only Authorization. Ktor's Android engine gives the body-less POST a
    // fixed length of 0, and HttpURLConnection labels any POST without a type as a form. Android's
    // OkHttp-based HttpURLConnection writes `Content-Type`; the JDK's writes `Content-type`.
    emptyPosts: [
      {
        name: 'form Content-Type, Content-Length: 0',
        headers: [
          ['Content-Type', 'application/x-www-form-urlencoded'],
          ['Content-Length', '0'],
        ],
      },
      {
        name: 'form Content-type (JDK casing), Content-Length: 0',
        headers: [
          ['Content-type', 'application/x-www-form-urlencoded'],
          ['Content-Length', '0'],
        ],
      },
    ],
  };
}

export const sdks = {
  ios: iosSdk('2.13.0'),
  android: androidSdk('4.3.0'),
  reactNativeIos: iosSdk('2.13.0', {
    sdk: 'react-native',
    version: '3.3.1',
    userAgentToken: 'AuthsignalReactNativeSDK',
  }),
  reactNativeAndroid: androidSdk('4.3.0', {
    sdk: 'react-native',
    version: '3.3.1',
    userAgentToken: 'AuthsignalReactNativeSDK',
  }),
  flutterIos: iosSdk('2.11.0', { sdk: 'flutter', version: '3.1.0', userAgentToken: 'AuthsignalFlutterSDK' }),
  flutterAndroid: androidSdk('4.1.0', { sdk: 'flutter', version: '3.1.0', userAgentToken: 'AuthsignalFlutterSDK' }),
};

/** The Client API calls of one mobile SDK, byte for byte. */
export class MobileClient {
  constructor(
    private readonly wire: Wire,
    private readonly sdk: MobileSdk,
    private readonly tenantId: string,
  ) {}

  private post(path: string, authorization: string, body?: unknown): Promise<Exchange> {
    const text = body === undefined ? undefined : this.sdk.json(body);
    const headers: Header[] = [['Authorization', authorization], ...this.sdk.metadata(this.tenantId)];
    return this.wire.send({
      method: 'POST',
      path: `/v1/client${path}`,
      headers: text === undefined ? headers : withLength([...headers, ['Content-Type', this.sdk.jsonType]], text),
      body: text,
    });
  }

  /** `sms.enroll({phoneNumber})`: `POST /client/user-authenticators/sms`. */
  enroll(token: string, phoneNumber: string): Promise<Exchange> {
    return this.post('/user-authenticators/sms', `Bearer ${token}`, { phoneNumber });
  }

  /** `sms.challenge()`: a POST without a body, framed as the platform frames it (`emptyPosts`). */
  challenge(token: string, framing: Header[] = this.sdk.emptyPosts[0]?.headers ?? []): Promise<Exchange> {
    return this.wire.send({
      method: 'POST',
      path: '/v1/client/challenge/sms',
      headers: [['Authorization', `Bearer ${token}`], ...this.sdk.metadata(this.tenantId), ...framing],
    });
  }

  /** `sms.verify({code})`: `POST /client/verify/sms` with `{verificationCode}`. */
  verify(token: string, code: string): Promise<Exchange> {
    return this.post('/verify/sms', `Bearer ${token}`, { verificationCode: code });
  }

  /** The generic challenge (passkey sign-in with an action, in-app verification): tenant Basic. */
  genericChallenge(action?: string): Promise<Exchange> {
    return this.post('/challenge', this.sdk.basic(this.tenantId), action === undefined ? {} : { action });
  }

  /** `GET /client/user-authenticators` with any Authorization: how the Basic forms are checked. */
  listAuthenticators(authorization: string): Promise<Exchange> {
    return this.wire.send({
      method: 'GET',
      path: '/v1/client/user-authenticators',
      headers: [['Authorization', authorization], ...this.sdk.metadata(this.tenantId)],
    });
  }

  /** Any other request with this SDK's metadata headers. */
  raw(method: string, path: string, headers: Header[], body?: string): Promise<Exchange> {
    return this.wire.send({ method, path, headers: [...headers, ...this.sdk.metadata(this.tenantId)], body });
  }
}

/** A code that is not `code`. */
export const wrongCode = (code: string) => (code === '000000' ? '111111' : '000000');

/** What iOS and Android decode from `sms.verify`: status 200, `isVerified`, `accessToken` when verified. */
function expectVerified(res: Exchange): string {
  expectOk(res);
  expect(res.json, res.transcript).toMatchObject({ isVerified: true, accessToken: expect.stringMatching(/^ey/) });
  return res.json.accessToken as string;
}

function expectNotVerified(res: Exchange): void {
  expectOk(res);
  expect(res.json, res.transcript).toEqual({ isVerified: false, failureReason: 'CODE_INVALID_OR_EXPIRED' });
}

/**
 * The SMS flows of one mobile SDK, on every database: first enrollment, sign-in of an enrolled user
 * through the body-less `sms.challenge()` in each framing the platform produces, resend, errors the
 * SDK decodes, the tenant Basic form, an expired token. Each flow ends with the backend's
 * `validateChallenge` of the token the app got.
 */
export function mobileSuite(sdk: MobileSdk): void {
  describe.each(databases)(`${sdk.label} SMS over the wire ($name)`, (db) => {
    let t: TestServer;
    let wire: Wire;
    let app: MobileClient;
    const clock = new ManualClock(Date.now());
    const action = 'mobileSignIn';

    beforeAll(async () => {
      t = await startTestServer(db, {}, { clock });
      wire = new Wire(t.server.url);
      app = new MobileClient(wire, sdk, t.tenant.tenantId);
      await management(t.apiUrl, t.tenant.managementSecretKey).createConfig(action, 'CHALLENGE');
    });
    afterAll(async () => {
      wire.close();
      await t.close();
    });

    /** An enrolled user and the token of a tracked action that needs a challenge. */
    async function enrolledTrack(userId = `u-${randomUUID()}`) {
      const to = phone();
      await t.sdk.enrollVerifiedAuthenticator({
        userId,
        attributes: { verificationMethod: VerificationMethod.SMS, phoneNumber: to },
      });
      const tracked = await t.sdk.track({ userId, action });
      expect(tracked.state).toBe('CHALLENGE_REQUIRED');
      return { userId, to, token: tracked.token };
    }

    it('enrolls a first number with sms.enroll, verifies the code sent with it, and the token validates', async () => {
      const userId = `u-${randomUUID()}`;
      const to = phone();
      const tracked = await t.sdk.track({ userId, action });
      expect(tracked.isEnrolled).toBe(false);

      const enrolled = await app.enroll(tracked.token, to);
      expectOk(enrolled);
      // iOS requires userAuthenticatorId; RN and Flutter pass the result through.
      expect(enrolled.json, enrolled.transcript).toEqual({
        userAuthenticatorId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        userId,
      });

      const code = await t.lastCode(to);
      expectNotVerified(await app.verify(tracked.token, wrongCode(code)));
      const verified = await app.verify(tracked.token, code);
      const accessToken = expectVerified(verified);
      expect(verified.json.userAuthenticator, verified.transcript).toMatchObject({
        userAuthenticatorId: enrolled.json.userAuthenticatorId,
        verificationMethod: 'SMS',
        phoneNumber: to,
      });

      expect(await t.sdk.validateChallenge({ token: accessToken, action, userId })).toMatchObject({
        isValid: true,
        state: 'CHALLENGE_SUCCEEDED',
        userId,
        verificationMethod: 'SMS',
      });
      expect(await t.sdk.getAuthenticators({ userId })).toMatchObject([{ phoneNumber: to, verificationMethod: 'SMS' }]);
    });

    for (const empty of sdk.emptyPosts) {
      it(`signs in an enrolled user: body-less sms.challenge (${empty.name}), wrong code, resend, newest code, validateChallenge`, async () => {
        const { userId, to, token } = await enrolledTrack();

        const started = await app.challenge(token, empty.headers);
        expectOk(started);
        expect(started.json, started.transcript).toEqual({ challengeId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
        const first = await t.lastCode(to);
        expectNotVerified(await app.verify(token, wrongCode(first)));

        // "Send a new code" is the same body-less call. The clock moves on so that the newest message
        // in the dev inbox is told apart from the first by its time.
        clock.advance(1_000);
        const resent = await app.challenge(token, empty.headers);
        expectOk(resent);
        expect(resent.json.challengeId, resent.transcript).toBe(started.json.challengeId);
        const newest = await t.lastCode(to);

        const accessToken = expectVerified(await app.verify(token, newest));
        expect(await t.sdk.validateChallenge({ token: accessToken, action, userId })).toMatchObject({
          isValid: true,
          state: 'CHALLENGE_SUCCEEDED',
          userId,
          verificationMethod: 'SMS',
        });
      });
    }

    it('answers verify before any code was sent with a 400 the SDK decodes (error, errorCode, errorDescription)', async () => {
      const { token } = await enrolledTrack();
      const res = await app.verify(token, '123456');
      expectError(res, 400, 'invalid_request');
      expect(res.json.errorDescription, res.transcript).toMatch(/challenge/);
    });

    it('still answers 415 to a non-empty body that is not JSON', async () => {
      const { token } = await enrolledTrack();
      const form = 'smsChannel=DEFAULT';
      for (const type of ['application/x-www-form-urlencoded', 'text/plain']) {
        const res = await app.raw(
          'POST',
          '/v1/client/challenge/sms',
          withLength(
            [
              ['Authorization', `Bearer ${token}`],
              ['Content-Type', type],
            ],
            form,
          ),
          form,
        );
        expectError(res, 415, 'unsupported_media_type');
      }
    });

    it('accepts its tenant Basic form at the auth layer (the SMS routes then ask for a Bearer token)', async () => {
      const own = await app.listAuthenticators(sdk.basic(t.tenant.tenantId));
      expectError(own, 401, 'unauthorized');
      expect(own.json.errorDescription, own.transcript).toMatch(/needs a Bearer token/);
      const unknown = await app.listAuthenticators(sdk.basic(randomUUID()));
      expectError(unknown, 401, 'unauthorized');
      expect(unknown.json.errorDescription, unknown.transcript).not.toMatch(/needs a Bearer token/);
    });

    it('answers the generic /client/challenge and the WhatsApp challenge (not implemented) with a decodable 404', async () => {
      expectError(await app.genericChallenge(), 404, 'not_found');
      expectError(await app.genericChallenge(action), 404, 'not_found');
      const { token } = await enrolledTrack();
      const whatsapp = await app.raw('POST', '/v1/client/challenge/whatsapp', [['Authorization', `Bearer ${token}`]]);
      expectError(whatsapp, 404, 'not_found');
    });

    // Last: it moves the clock past the token lifetime.
    it('answers an expired token with 401 expired_token on enroll, body-less challenge and verify', async () => {
      const { token } = await enrolledTrack();
      const fresh = await t.sdk.track({ userId: `u-${randomUUID()}`, action });
      clock.advance(11 * 60_000);
      expectError(await app.enroll(fresh.token, phone()), 401, 'expired_token');
      for (const empty of sdk.emptyPosts) expectError(await app.challenge(token, empty.headers), 401, 'expired_token');
      expectError(await app.verify(token, '123456'), 401, 'expired_token');
    });
  });
}

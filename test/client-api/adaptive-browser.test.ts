import { randomUUID } from 'node:crypto';
import { type Authsignal as NodeAuthsignal, VerificationMethod } from '@authsignal/node';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import type { CreatedTenant } from '../../src/modules/tenants/service.js';
import {
  type AppOrigin,
  browserSuite,
  chromiumNote,
  deviceIdCookie,
  formatLog,
  inPage,
  openSdkPage,
  type SdkPage,
  startAppOrigin,
} from '../helpers/browser.js';
import { databases } from '../helpers/databases.js';
import { management } from '../helpers/management.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Adaptive MFA end to end, the way a customer wires it: the backend tracks an action with the node SDK,
 * the page completes the SMS challenge with the official browser SDK (cross-origin, docs/wire-protocol.md §5), and the
 * backend validates the token the browser got back.
 */

/** A new SDK instance in the page whose onTokenExpired sets window.__expired; returns its device ID. */
function newBrowserSdk(page: Page, tenantId: string, baseUrl: string): Promise<string> {
  return inPage(
    page,
    (opts) => {
      window.__expired = false;
      window.authsignal = new window.AuthsignalBrowser.Authsignal({
        ...opts,
        onTokenExpired: () => {
          window.__expired = true;
        },
      });
      return window.authsignal.anonymousId;
    },
    { tenantId, baseUrl },
  );
}

/** A wrong code of the same length as `code`. */
function wrongCode(code: string): string {
  return String((Number(code) + 1) % 10 ** code.length).padStart(code.length, '0');
}

browserSuite.each(databases)(`adaptive MFA with the node and browser SDKs ($name)${chromiumNote}`, (db) => {
  let t: TestServer;
  let app: AppOrigin;
  let browser: SdkPage;

  beforeAll(async () => {
    t = await startTestServer(db);
    app = await startAppOrigin();
    browser = await openSdkPage(app.origin);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await t?.close();
  });
  beforeEach(({ onTestFailed }) => {
    browser.log.length = 0;
    onTestFailed(() => console.error(formatLog(browser)));
  });

  /** A fresh tenant with a `withdraw` action that always challenges, and a browser SDK for it. */
  async function setUpTenant(server: TestServer = t): Promise<{ tenant: CreatedTenant; sdk: NodeAuthsignal }> {
    const { tenant, sdk } = await server.newTenant();
    await management(server.apiUrl, tenant.managementSecretKey).createConfig('withdraw', 'CHALLENGE');
    return { tenant, sdk };
  }

  it('challenges an enrolled user: track, sms.challenge (twice), a wrong code, sms.verify, validateChallenge', async () => {
    const { tenant, sdk } = await setUpTenant();
    const userId = `user-${randomUUID()}`;
    const to = phone();
    await sdk.enrollVerifiedAuthenticator({
      userId,
      attributes: { verificationMethod: VerificationMethod.SMS, phoneNumber: to },
    });

    const deviceId = await newBrowserSdk(browser.page, tenant.tenantId, t.apiUrl);
    expect(await deviceIdCookie(browser.page)).toBe(deviceId);

    const tracked = await sdk.track({
      userId,
      action: 'withdraw',
      attributes: { deviceId, ipAddress: '203.109.128.1' },
    });
    expect(tracked).toMatchObject({
      state: 'CHALLENGE_REQUIRED',
      token: expect.any(String),
      url: expect.stringContaining('?'),
      isEnrolled: true,
    });
    expect(tracked.token).not.toBe('');

    const first = await inPage(
      browser.page,
      async (token) => {
        window.authsignal.setToken(token);
        return window.authsignal.sms.challenge();
      },
      tracked.token,
    );
    expect(first).toEqual({ data: { challengeId: expect.any(String) } });

    // A resend: the test server has no resend cooldown. Only the newest code is used below.
    const resent = await inPage(browser.page, () => window.authsignal.sms.challenge(), undefined);
    expect(resent).toEqual({ data: { challengeId: expect.any(String) } });
    const code = await t.lastCode(to);

    const wrong = await inPage(browser.page, (c) => window.authsignal.sms.verify({ code: c }), wrongCode(code));
    expect(wrong).toEqual({ data: { isVerified: false, failureReason: 'CODE_INVALID_OR_EXPIRED' } });

    const verified = await inPage(browser.page, (c) => window.authsignal.sms.verify({ code: c }), code);
    expect(verified).toMatchObject({ data: { isVerified: true, token: expect.any(String) } });
    const newToken = verified.data?.token;
    if (!newToken) throw new Error('sms.verify returned no token');
    expect(newToken).not.toBe(tracked.token);

    const validated = await sdk.validateChallenge({ action: 'withdraw', token: newToken });
    expect(validated).toMatchObject({
      isValid: true,
      state: 'CHALLENGE_SUCCEEDED',
      userId,
      action: 'withdraw',
      idempotencyKey: tracked.idempotencyKey,
    });
    expect(await inPage(browser.page, () => window.__expired, undefined)).toBe(false);
  });

  it('calls onTokenExpired when the token has expired', async () => {
    const clock = new ManualClock(Date.now());
    const short = await startTestServer(db, { SIGIL_TOKEN_TTL_SECONDS: '30' }, { clock });
    try {
      const { tenant, sdk } = await setUpTenant(short);
      const userId = `user-${randomUUID()}`;
      const to = phone();
      await sdk.enrollVerifiedAuthenticator({
        userId,
        attributes: { verificationMethod: VerificationMethod.SMS, phoneNumber: to },
      });

      const deviceId = await newBrowserSdk(browser.page, tenant.tenantId, short.apiUrl);
      const tracked = await sdk.track({ userId, action: 'withdraw', attributes: { deviceId } });
      expect(tracked).toMatchObject({ state: 'CHALLENGE_REQUIRED', token: expect.any(String) });

      clock.advance(31_000);
      const result = await inPage(
        browser.page,
        async (token) => {
          window.authsignal.setToken(token);
          return window.authsignal.sms.challenge();
        },
        tracked.token,
      );
      expect(result).toMatchObject({ error: expect.any(String), errorCode: 'expired_token' });
      expect(await inPage(browser.page, () => window.__expired, undefined)).toBe(true);
    } finally {
      await short.close();
    }
  });

  it('enrolls a first SMS authenticator from the browser: sms.enroll, then sms.verify', async () => {
    const { tenant, sdk } = await setUpTenant();
    const userId = `user-${randomUUID()}`;
    const to = phone();

    const deviceId = await newBrowserSdk(browser.page, tenant.tenantId, t.apiUrl);
    const tracked = await sdk.track({ userId, action: 'withdraw', attributes: { deviceId } });
    expect(tracked).toMatchObject({ token: expect.any(String), isEnrolled: false });

    const enrolled = await inPage(
      browser.page,
      async ({ token, phoneNumber }) => {
        window.authsignal.setToken(token);
        return window.authsignal.sms.enroll({ phoneNumber });
      },
      { token: tracked.token, phoneNumber: to },
    );
    expect(enrolled).toEqual({ data: { userAuthenticatorId: expect.any(String), userId } });

    const code = await t.lastCode(to);
    const verified = await inPage(browser.page, (c) => window.authsignal.sms.verify({ code: c }), code);
    expect(verified).toMatchObject({ data: { isVerified: true, token: expect.any(String) } });

    const authenticators = await sdk.getAuthenticators({ userId });
    expect(authenticators).toEqual([
      expect.objectContaining({
        userAuthenticatorId: enrolled.data?.userAuthenticatorId,
        verificationMethod: 'SMS',
        phoneNumber: to,
      }),
    ]);
  });
});
